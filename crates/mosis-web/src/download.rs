//! Serving a stored package: one `Range`, a strong `ETag` (the package's SHA-256) and
//! `If-None-Match`, streamed from the blob store off the executor.

use crate::error::{ApiError, blocking, on_own_thread};
use crate::state::State;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::Stream;
use mosis_storage::{App, BlobFile, BlobKey, BlobStore as _, VersionRecord};
use std::io::Read;
use std::ops::Range;

/// Bytes read per chunk of a download.
const CHUNK_BYTES: usize = 256 * 1024;

/// What a `Range` header asks of a body of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No (usable) range: the whole body.
    Full,
    /// One satisfiable range.
    Part(Range<u64>),
    /// A range past the end (416).
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n`. Several ranges or another unit are
/// answered with the whole body, as RFC 9110 allows.
pub fn parse_range(header: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let parsed = match (start.trim(), end.trim()) {
        ("", "") => None,
        ("", suffix) => suffix
            .parse::<u64>()
            .ok()
            .map(|n| (size.saturating_sub(n), size)),
        (start, "") => start.parse::<u64>().ok().map(|s| (s, size)),
        (start, end) => match (start.parse::<u64>(), end.parse::<u64>()) {
            (Ok(s), Ok(e)) if e >= s => Some((s, e.saturating_add(1).min(size))),
            _ => None,
        },
    };
    match parsed {
        None => RangeRequest::Full,
        Some((start, end)) if start >= size || start >= end => RangeRequest::Unsatisfiable,
        Some((start, end)) => RangeRequest::Part(start..end),
    }
}

/// Whether `If-None-Match` matches `etag` (`*` or a list containing it, weak or strong).
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == etag)
        })
}

/// A stream of `reader`'s bytes, read a chunk at a time on a thread of its own (which
/// ends with the file, or when the client goes away).
pub fn stream(
    mut reader: Box<dyn Read + Send>,
) -> Result<impl Stream<Item = Result<Bytes, std::io::Error>>, ApiError> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let reading = move || {
        loop {
            let mut buf = vec![0u8; CHUNK_BYTES];
            let item = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    Ok(Bytes::from(buf))
                }
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            // A closed channel means the client went away.
            if tx.blocking_send(item).is_err() || failed {
                break;
            }
        }
        Ok(())
    };
    // Its outcome travels through the stream, so the completion is not awaited.
    drop(on_own_thread("download", reading)?);
    Ok(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// The 416 answer for a body of `size` bytes.
pub fn unsatisfiable(size: u64) -> HttpResponse {
    let error = ApiError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "range_not_satisfiable",
        format!("the requested range is outside the package's {size} bytes"),
    );
    let mut http = actix_web::ResponseError::error_response(&error);
    if let Ok(value) = header::HeaderValue::from_str(&format!("bytes */{size}")) {
        http.headers_mut().insert(header::CONTENT_RANGE, value);
    }
    http
}

/// Answers a download of `record`'s package (of `app`), honouring `If-None-Match` and
/// `Range`; the caller has authorised it.
pub async fn respond(
    state: &State,
    req: &HttpRequest,
    app: &App,
    record: &VersionRecord,
) -> Result<HttpResponse, ApiError> {
    let etag = format!("\"{}\"", record.sha256);
    if not_modified(req.headers(), &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let range = parse_range(
        req.headers()
            .get(header::RANGE)
            .and_then(|h| h.to_str().ok()),
        record.size,
    );
    let range = match range {
        RangeRequest::Unsatisfiable => return Ok(unsatisfiable(record.size)),
        RangeRequest::Full => None,
        RangeRequest::Part(r) => Some(r),
    };
    let key = BlobKey {
        dev_id: app.owner_id,
        app_id: app.app_id.clone(),
        version: record.version.clone(),
        file: BlobFile::Package,
    };
    let blobs = state.blobs.clone();
    let wanted = range.clone();
    let (reader, total) = blocking(move || Ok(blobs.open(&key, wanted)?)).await?;
    let mut response = match &range {
        Some(r) => {
            let mut partial = HttpResponse::PartialContent();
            partial.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{total}", r.start, r.end - 1),
            ));
            partial
        }
        None => HttpResponse::Ok(),
    };
    let length = range.map_or(total, |r| r.end - r.start);
    Ok(response
        .insert_header((header::ETAG, etag))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::CONTENT_TYPE, "application/octet-stream"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}-{}.mpk\"",
                app.app_id, record.version
            ),
        ))
        .no_chunking(length)
        .streaming(stream(reader)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_rfc_9110() {
        let cases: &[(Option<&str>, RangeRequest)] = &[
            (None, RangeRequest::Full),
            (Some("bytes=0-9"), RangeRequest::Part(0..10)),
            (Some("bytes=90-"), RangeRequest::Part(90..100)),
            (Some("bytes=-10"), RangeRequest::Part(90..100)),
            (Some("bytes=-500"), RangeRequest::Part(0..100)),
            (Some("bytes=95-500"), RangeRequest::Part(95..100)),
            (Some("bytes=100-"), RangeRequest::Unsatisfiable),
            (Some("bytes=200-300"), RangeRequest::Unsatisfiable),
            (Some("bytes=-0"), RangeRequest::Unsatisfiable),
            (Some("bytes=9-1"), RangeRequest::Full),
            (Some("bytes=0-1,5-6"), RangeRequest::Full),
            (Some("items=0-1"), RangeRequest::Full),
            (Some("bytes=x-y"), RangeRequest::Full),
        ];
        for (header, want) in cases {
            assert_eq!(&parse_range(*header, 100), want, "{header:?}");
        }
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let etag = "\"abc\"";
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                header::IF_NONE_MATCH,
                header::HeaderValue::from_str(v).unwrap(),
            );
            not_modified(&h, etag)
        };
        assert!(with("\"abc\""));
        assert!(with("\"x\", W/\"abc\""));
        assert!(with("*"));
        assert!(!with("\"abcd\""));
        assert!(!not_modified(&HeaderMap::new(), etag));
    }
}
