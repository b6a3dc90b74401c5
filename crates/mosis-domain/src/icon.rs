//! The icon check: decode the PNG header and require a square of 256–1024 px.

/// The width and height of a valid icon, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IconSize {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The PNG file signature.
pub(crate) const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// How many leading bytes of a file [`check_icon`] needs: the signature and the IHDR chunk.
pub const ICON_HEADER_BYTES: usize = 33;

/// Smallest accepted icon side, in pixels.
pub const MIN_ICON_PX: u32 = 256;
/// Largest accepted icon side, in pixels.
pub const MAX_ICON_PX: u32 = 1024;

/// Checks that `header` (at least the first [`ICON_HEADER_BYTES`] of the file) starts a PNG
/// whose IHDR chunk is intact and describes a square image of 256–1024 px. The error says
/// which rule the file breaks.
pub fn check_icon(header: &[u8]) -> Result<IconSize, String> {
    if header.len() < 8 || header[..8] != PNG_SIGNATURE {
        return Err("not a PNG file (bad signature)".into());
    }
    if header.len() < ICON_HEADER_BYTES {
        return Err("truncated PNG: the IHDR chunk is incomplete".into());
    }
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    if be32(8) != 13 || &header[12..16] != b"IHDR" {
        return Err("corrupt PNG: the first chunk is not a 13-byte IHDR".into());
    }
    if crc32fast::hash(&header[12..29]) != be32(29) {
        return Err("corrupt PNG: the IHDR checksum does not match".into());
    }
    let (width, height) = (be32(16), be32(20));
    let (bit_depth, colour_type) = (header[24], header[25]);
    let depth_ok = match colour_type {
        0 => matches!(bit_depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(bit_depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(bit_depth, 8 | 16),
        _ => false,
    };
    if !depth_ok || header[26] != 0 || header[27] != 0 || header[28] > 1 {
        return Err(format!(
            "corrupt PNG: invalid IHDR (colour type {colour_type}, bit depth {bit_depth})"
        ));
    }
    if width != height {
        return Err(format!("must be square (is {width}×{height} px)"));
    }
    if !(MIN_ICON_PX..=MAX_ICON_PX).contains(&width) {
        return Err(format!(
            "must be {MIN_ICON_PX}–{MAX_ICON_PX} px on each side (is {width}×{height} px)"
        ));
    }
    Ok(IconSize { width, height })
}

/// Largest icon file [`decode_icon`] reads, in bytes.
pub const MAX_ICON_BYTES: usize = 8 * 1024 * 1024;

/// Decodes a whole PNG icon, beyond [`check_icon`]'s header: every chunk's length and
/// CRC, a palette where the colour type needs one, the image data inflating to exactly
/// the size the header implies, each row's filter type, and the closing `IEND`. What a
/// device's image decoder would trip on is found here first. Memory stays bounded: the
/// compressed data is gathered (at most the file's size), the image is inflated through a
/// fixed buffer, never held whole.
pub fn decode_icon(png: &[u8]) -> Result<IconSize, String> {
    if png.len() > MAX_ICON_BYTES {
        return Err(format!(
            "is {} bytes; the limit for an icon is {MAX_ICON_BYTES}",
            png.len()
        ));
    }
    let size = check_icon(png)?;
    let (depth, colour, interlaced) = (png[24], png[25], png[28] == 1);
    let mut at = PNG_SIGNATURE.len();
    // One buffer, however many IDAT chunks the file is split into.
    let mut image_data: Vec<u8> = Vec::new();
    let (mut palette, mut ended) = (false, false);
    while at < png.len() {
        let header = png
            .get(at..at + 8)
            .ok_or("corrupt PNG: a chunk header is cut off")?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        let body = png.get(at + 8..at + 8 + len).ok_or_else(|| {
            format!(
                "corrupt PNG: chunk {} is cut off",
                String::from_utf8_lossy(kind)
            )
        })?;
        let crc = png
            .get(at + 8 + len..at + 12 + len)
            .ok_or("corrupt PNG: a chunk checksum is cut off")?;
        if crc32fast::hash(&png[at + 4..at + 8 + len])
            != u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]])
        {
            return Err(format!(
                "corrupt PNG: the checksum of chunk {} does not match",
                String::from_utf8_lossy(kind)
            ));
        }
        match kind {
            b"PLTE" => palette = true,
            b"IDAT" => image_data.extend_from_slice(body),
            b"IEND" => {
                ended = true;
                at += 12 + len;
                break;
            }
            _ => {}
        }
        at += 12 + len;
    }
    if !ended {
        return Err("corrupt PNG: no IEND chunk; the file is cut off".into());
    }
    if at != png.len() {
        return Err("corrupt PNG: data follows the IEND chunk".into());
    }
    if colour == 3 && !palette {
        return Err("corrupt PNG: colour type 3 needs a PLTE chunk".into());
    }
    if image_data.is_empty() {
        return Err("corrupt PNG: no image data (IDAT)".into());
    }
    let rows = row_layout(size, depth, colour, interlaced);
    inflate_rows(&image_data, &rows)?;
    Ok(size)
}

/// The byte length of every scanline (without its filter byte), pass by pass.
fn row_layout(size: IconSize, depth: u8, colour: u8, interlaced: bool) -> Vec<(u64, u64)> {
    let channels: u64 = match colour {
        2 => 3,
        4 => 2,
        6 => 4,
        _ => 1,
    };
    let bits_per_pixel = channels * u64::from(depth);
    let row_bytes = |width: u64| (width * bits_per_pixel).div_ceil(8);
    let (w, h) = (u64::from(size.width), u64::from(size.height));
    if !interlaced {
        return vec![(h, row_bytes(w))];
    }
    // Adam7: (x start, y start, x step, y step) of each pass.
    [
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ]
    .into_iter()
    .map(|(x0, y0, dx, dy)| {
        let cols = w.saturating_sub(x0).div_ceil(dx);
        let lines = h.saturating_sub(y0).div_ceil(dy);
        if cols == 0 {
            (0, 0)
        } else {
            (lines, row_bytes(cols))
        }
    })
    .collect()
}

/// Inflates the image data through a fixed buffer, checking each row's filter byte and
/// that the data ends exactly where the rows do.
fn inflate_rows(image_data: &[u8], rows: &[(u64, u64)]) -> Result<(), String> {
    use std::io::Read as _;
    let mut inflater = flate2::read::ZlibDecoder::new(image_data);
    let mut buf = vec![0u8; 64 * 1024];
    let broken = |e: std::io::Error| format!("corrupt PNG: the image data does not inflate: {e}");
    let short = || "corrupt PNG: the image data is shorter than the image".to_owned();
    for &(lines, bytes) in rows {
        for _ in 0..lines {
            let mut filter = [0u8; 1];
            inflater.read_exact(&mut filter).map_err(|_| short())?;
            if filter[0] > 4 {
                return Err(format!(
                    "corrupt PNG: unknown row filter type {}",
                    filter[0]
                ));
            }
            let mut left = bytes;
            while left > 0 {
                let take = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
                inflater
                    .read_exact(&mut buf[..take])
                    .map_err(|e| match e.kind() {
                        std::io::ErrorKind::UnexpectedEof => short(),
                        _ => broken(e),
                    })?;
                left -= take as u64;
            }
        }
    }
    match inflater.read(&mut buf[..1]) {
        Ok(0) => Ok(()),
        Ok(_) => Err("corrupt PNG: the image data is longer than the image".into()),
        Err(e) => Err(broken(e)),
    }
}

/// Appends one PNG chunk (length, type, data, CRC) to `out`.
pub(crate) fn push_png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_header(width: u32, height: u32, depth: u8, colour: u8) -> Vec<u8> {
        let mut out = PNG_SIGNATURE.to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[depth, colour, 0, 0, 0]);
        push_png_chunk(&mut out, b"IHDR", &ihdr);
        out
    }

    fn check(header: &[u8], expected: Result<u32, &str>) {
        match (check_icon(header), expected) {
            (Ok(size), Ok(px)) => assert_eq!((size.width, size.height), (px, px)),
            (Err(e), Err(needle)) => assert!(e.contains(needle), "{e:?} lacks {needle:?}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn icons() {
        check(&png_header(256, 256, 8, 6), Ok(256));
        check(&png_header(1024, 1024, 8, 2), Ok(1024));
        check(&png_header(512, 512, 4, 3), Ok(512));
        check(&png_header(255, 255, 8, 6), Err("256–1024"));
        check(&png_header(1025, 1025, 8, 6), Err("256–1024"));
        check(&png_header(256, 512, 8, 6), Err("square"));
        check(&png_header(256, 256, 3, 6), Err("invalid IHDR"));
        check(b"GIF89a....", Err("not a PNG"));
        check(&png_header(256, 256, 8, 6)[..20], Err("truncated"));
        let mut bad_crc = png_header(256, 256, 8, 6);
        bad_crc[17] ^= 1;
        check(&bad_crc, Err("checksum"));
    }

    fn decode(png: &[u8], expected: Result<u32, &str>) {
        match (decode_icon(png), expected) {
            (Ok(size), Ok(px)) => assert_eq!(size.width, px),
            (Err(e), Err(needle)) => assert!(e.contains(needle), "{e:?} lacks {needle:?}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn whole_icons_decode_and_broken_ones_say_why() {
        let good = crate::placeholder_icon(&crate::AppId::parse("com.example.icon").unwrap());
        decode(&good, Ok(256));
        decode(&good[..good.len() - 12], Err("no IEND"));
        let mut trailing = good.clone();
        trailing.push(0);
        decode(&trailing, Err("follows the IEND"));
        let mut flipped = good.clone();
        let idat = good.windows(4).position(|w| w == b"IDAT").unwrap();
        flipped[idat + 6] ^= 0xff;
        decode(&flipped, Err("checksum of chunk IDAT"));
        // A valid header over image data for a smaller image: too short.
        decode(
            &png_with(png_header(256, 256, 8, 6), &[0u8; 100], 1),
            Err("shorter than the image"),
        );
        // A palette image without its palette.
        decode(
            &png_with(png_header(256, 256, 8, 3), &vec![0u8; 257 * 256], 1),
            Err("PLTE"),
        );
        // A bad row filter.
        let mut rows = vec![0u8; 257 * 256];
        rows[257] = 9;
        decode(
            &png_with(png_header(256, 256, 8, 0), &rows, 1),
            Err("filter type 9"),
        );
    }

    /// `header` followed by `raw` (filter bytes and pixels), deflated and split into IDAT
    /// chunks of `chunk` bytes, then IEND.
    fn png_with(mut out: Vec<u8>, raw: &[u8], chunk: usize) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut z, raw).unwrap();
        for part in z.finish().unwrap().chunks(chunk.max(1)) {
            push_png_chunk(&mut out, b"IDAT", part);
        }
        push_png_chunk(&mut out, b"IEND", &[]);
        out
    }

    #[test]
    fn an_icon_split_into_many_tiny_chunks_decodes_without_deep_recursion() {
        // Regression: image data read through one nested reader per IDAT chunk overflowed
        // the stack (an abort, not a catchable panic) on a file of half a million empty chunks.
        let mut many = png_header(256, 256, 8, 0);
        for _ in 0..500_000 {
            push_png_chunk(&mut many, b"IDAT", &[]);
        }
        let icon = png_with(many, &vec![0u8; 257 * 256], 1);
        decode(&icon, Ok(256));
    }
}
