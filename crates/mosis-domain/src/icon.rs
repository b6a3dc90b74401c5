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
}
