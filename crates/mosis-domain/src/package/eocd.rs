//! Reads the entry count an archive declares, before the ZIP parser allocates for it.

use std::io::{Read, Seek, SeekFrom};

const EOCD_SIG: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
const EOCD_LEN: u64 = 22;
const LOCATOR_SIG: [u8; 4] = [0x50, 0x4b, 0x06, 0x07];
const LOCATOR_LEN: u64 = 20;
const EOCD64_SIG: [u8; 4] = [0x50, 0x4b, 0x06, 0x06];
const MAX_COMMENT: u64 = 0xffff;

/// The number of entries the archive's end-of-central-directory record declares (the
/// ZIP64 record's, when present), or `None` when there is no such record. Reads at most
/// 64 KiB from the end of `reader`.
pub(crate) fn declared_entries<R: Read + Seek>(
    reader: &mut R,
    len: u64,
) -> std::io::Result<Option<u64>> {
    let tail_len = len.min(EOCD_LEN + MAX_COMMENT);
    let mut tail = vec![0u8; usize::try_from(tail_len).unwrap_or(0)];
    reader.seek(SeekFrom::Start(len - tail_len))?;
    reader.read_exact(&mut tail)?;
    let Some(at) = find_eocd(&tail) else {
        return Ok(None);
    };
    let le16 = |b: &[u8], i: usize| u64::from(u16::from_le_bytes([b[i], b[i + 1]]));
    let eocd = &tail[at..];
    let entries = le16(eocd, 8).max(le16(eocd, 10));
    let eocd_offset = len - tail_len + at as u64;
    if entries != 0xffff || eocd_offset < LOCATOR_LEN {
        return Ok(Some(entries));
    }
    // ZIP64: the locator sits just before the classic record and points at the ZIP64 one.
    let mut locator = [0u8; LOCATOR_LEN as usize];
    reader.seek(SeekFrom::Start(eocd_offset - LOCATOR_LEN))?;
    reader.read_exact(&mut locator)?;
    if locator[..4] != LOCATOR_SIG {
        return Ok(Some(entries));
    }
    let eocd64_offset = u64::from_le_bytes(array8(&locator[8..16]));
    let mut eocd64 = [0u8; 56];
    if eocd64_offset.saturating_add(56) > len {
        return Ok(Some(u64::MAX));
    }
    reader.seek(SeekFrom::Start(eocd64_offset))?;
    reader.read_exact(&mut eocd64)?;
    if eocd64[..4] != EOCD64_SIG {
        return Ok(Some(u64::MAX));
    }
    let this_disk = u64::from_le_bytes(array8(&eocd64[24..32]));
    let total = u64::from_le_bytes(array8(&eocd64[32..40]));
    Ok(Some(this_disk.max(total)))
}

/// The offset of the last end-of-central-directory record in `tail` whose comment length
/// reaches exactly to the end.
fn find_eocd(tail: &[u8]) -> Option<usize> {
    let last_start = tail.len().checked_sub(EOCD_LEN as usize)?;
    (0..=last_start).rev().find(|&i| {
        tail[i..i + 4] == EOCD_SIG && {
            let comment = usize::from(u16::from_le_bytes([tail[i + 20], tail[i + 21]]));
            i + EOCD_LEN as usize + comment == tail.len()
        }
    })
}

fn array8(b: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    out.copy_from_slice(&b[..8]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn eocd(entries: u16, comment: &[u8]) -> Vec<u8> {
        let mut out = EOCD_SIG.to_vec();
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&entries.to_le_bytes());
        out.extend_from_slice(&entries.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        out.extend_from_slice(comment);
        out
    }

    fn count(bytes: Vec<u8>) -> Option<u64> {
        let len = bytes.len() as u64;
        declared_entries(&mut Cursor::new(bytes), len).unwrap()
    }

    #[test]
    fn reads_the_declared_count() {
        assert_eq!(count(eocd(7, b"")), Some(7));
        assert_eq!(
            count([b"junk".to_vec(), eocd(300, b"a comment")].concat()),
            Some(300)
        );
        assert_eq!(count(b"not a zip at all".to_vec()), None);
        assert_eq!(count(Vec::new()), None);
    }

    #[test]
    fn zip64_counts_come_from_the_zip64_record() {
        let mut bytes = EOCD64_SIG.to_vec();
        bytes.extend_from_slice(&[0; 20]);
        bytes.extend_from_slice(&5_000_000u64.to_le_bytes());
        bytes.extend_from_slice(&5_000_000u64.to_le_bytes());
        bytes.extend_from_slice(&[0; 16]);
        bytes.extend_from_slice(&LOCATOR_SIG);
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&0u64.to_le_bytes());
        bytes.extend_from_slice(&[1, 0, 0, 0]);
        bytes.extend_from_slice(&eocd(0xffff, b""));
        assert_eq!(count(bytes), Some(5_000_000));
    }
}
