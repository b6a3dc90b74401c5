//! A `Write + Seek` that performs its writes on a second thread, so that a caller hashing
//! what it writes (packing, the portal's blob store) hashes one chunk while the previous one
//! is written: it then runs at the speed of the slower of the two instead of their sum.

use std::io::{self, Seek, SeekFrom, Write};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;

/// Chunks in flight; with [`crate::IO_BUFFER_BYTES`] chunks this bounds the memory held.
const DEPTH: usize = 4;

enum Command {
    Write(Vec<u8>),
    Seek(u64),
}

/// Buffers writes into `chunk`-sized pieces and hands them to a writer thread (at most
/// four in flight). Seeks are answered from
/// the position it tracks itself (no round trip); an error on the writer thread surfaces
/// on the next call or at [`BackgroundWriter::finish`].
pub struct BackgroundWriter {
    sender: Option<SyncSender<Command>>,
    recycled: Receiver<Vec<u8>>,
    worker: Option<JoinHandle<io::Result<()>>>,
    pending: Vec<u8>,
    chunk: usize,
    position: u64,
    len: u64,
}

impl BackgroundWriter {
    /// Starts the writer thread for `target`, which must be positioned at its start.
    pub fn new<W: Write + Seek + Send + 'static>(mut target: W, chunk: usize) -> Self {
        let (sender, commands) = sync_channel::<Command>(DEPTH);
        let (give_back, recycled) = sync_channel::<Vec<u8>>(DEPTH + 1);
        let worker = std::thread::spawn(move || -> io::Result<()> {
            for command in commands {
                match command {
                    Command::Write(buf) => {
                        target.write_all(&buf)?;
                        let _ = give_back.try_send(buf);
                    }
                    Command::Seek(at) => {
                        target.seek(SeekFrom::Start(at))?;
                    }
                }
            }
            target.flush()
        });
        Self {
            sender: Some(sender),
            recycled,
            worker: Some(worker),
            pending: Vec::with_capacity(chunk),
            chunk,
            position: 0,
            len: 0,
        }
    }

    /// Writes what is buffered, waits for the writer thread, and returns its result.
    pub fn finish(mut self) -> io::Result<()> {
        self.send_pending()?;
        self.sender = None;
        self.join()
    }

    fn join(&mut self) -> io::Result<()> {
        match self.worker.take() {
            Some(worker) => worker
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked"))),
            None => Err(io::Error::other("the writer thread has already stopped")),
        }
    }

    fn send(&mut self, command: Command) -> io::Result<()> {
        let sent = self.sender.as_ref().map(|s| s.send(command));
        match sent {
            Some(Ok(())) => Ok(()),
            // The thread stopped early: its error says why.
            _ => {
                self.sender = None;
                self.join()
                    .and(Err(io::Error::other("the writer thread stopped early")))
            }
        }
    }

    fn send_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut next = match self.recycled.try_recv() {
            Ok(buf) => buf,
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => Vec::with_capacity(self.chunk),
        };
        next.clear();
        let full = std::mem::replace(&mut self.pending, next);
        self.send(Command::Write(full))
    }
}

impl std::fmt::Debug for BackgroundWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundWriter")
            .field("position", &self.position)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Write for BackgroundWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.chunk - self.pending.len();
        let n = buf.len().min(room);
        self.pending.extend_from_slice(&buf[..n]);
        if self.pending.len() == self.chunk {
            self.send_pending()?;
        }
        self.position += n as u64;
        self.len = self.len.max(self.position);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_pending()
    }
}

impl Seek for BackgroundWriter {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
            SeekFrom::End(delta) => self.len.checked_add_signed(delta),
        }
        .ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "seek to a negative position")
        })?;
        if target != self.position {
            self.send_pending()?;
            self.send(Command::Seek(target))?;
            self.position = target;
        }
        Ok(target)
    }
}

impl Drop for BackgroundWriter {
    fn drop(&mut self) {
        // Stop the thread before the caller cleans up what it was writing to.
        self.sender = None;
        let _ = self.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::sync::{Arc, Mutex};

    /// A shared in-memory target, so the test can read what the thread wrote.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Cursor<Vec<u8>>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Seek for Shared {
        fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
            self.0.lock().unwrap().seek(pos)
        }
    }

    #[test]
    fn writes_and_seeks_land_as_with_a_plain_writer() {
        let shared = Shared::default();
        let mut w = BackgroundWriter::new(shared.clone(), 7);
        let mut expected = Cursor::new(Vec::new());
        for target in [&mut w as &mut dyn WriteSeek, &mut expected] {
            target.write_all(b"header__").unwrap();
            target.write_all(&[1u8; 100]).unwrap();
            let end = target.stream_position().unwrap();
            target.seek(SeekFrom::Start(6)).unwrap();
            target.write_all(b"OK").unwrap();
            target.seek(SeekFrom::Start(end)).unwrap();
            target.write_all(b"tail").unwrap();
            assert_eq!(target.seek(SeekFrom::End(0)).unwrap(), 112);
        }
        w.finish().unwrap();
        assert_eq!(shared.0.lock().unwrap().get_ref(), expected.get_ref());
    }

    trait WriteSeek: Write + Seek {}
    impl<T: Write + Seek> WriteSeek for T {}

    struct Failing;
    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Seek for Failing {
        fn seek(&mut self, _: SeekFrom) -> io::Result<u64> {
            Ok(0)
        }
    }

    #[test]
    fn a_write_error_on_the_thread_is_reported() {
        let mut w = BackgroundWriter::new(Failing, 4);
        let mut result = Ok(());
        for _ in 0..100 {
            result = w.write_all(b"abcdefgh");
            if result.is_err() {
                break;
            }
        }
        let err = result.and_then(|()| w.finish()).unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
    }
}
