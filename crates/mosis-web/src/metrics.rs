//! Prometheus metrics: requests by route and status, latency histograms, uploads.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum_secs: f64,
}

impl Histogram {
    fn observe(&mut self, took: Duration) {
        let secs = took.as_secs_f64();
        for (count, bound) in self.counts.iter_mut().zip(BUCKETS) {
            if secs <= bound {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum_secs += secs;
    }

    /// Writes the `name` histogram's series for one label set (`key="value"`).
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        for (count, bound) in self.counts.iter().zip(BUCKETS) {
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels},le=\"+Inf\"}} {}\n{name}_sum{{{labels}}} {}\n{name}_count{{{labels}}} {}",
            self.count, self.sum_secs, self.count
        );
    }
}

/// The server's counters. Routes are the matched patterns (`/api/v1/apps/{app_id}`), so
/// the label set stays small.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    uploads_accepted: AtomicU64,
    uploads_refused: AtomicU64,
    upload_bytes: AtomicU64,
    review_jobs: Mutex<BTreeMap<&'static str, Histogram>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Metrics {
    /// Counts a finished request.
    pub fn record_request(&self, route: &str, method: &str, status: u16, took: Duration) {
        *lock(&self.requests)
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
        lock(&self.latency)
            .entry(route.to_owned())
            .or_default()
            .observe(took);
    }

    /// Counts an upload's outcome and the bytes received.
    pub fn record_upload(&self, accepted: bool, bytes: u64) {
        let counter = if accepted {
            &self.uploads_accepted
        } else {
            &self.uploads_refused
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.upload_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// The Prometheus text exposition, with the review queue's current depth.
    pub fn render(&self, queue_depth: u64) -> String {
        let mut out = String::new();
        out.push_str("# HELP mosis_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE mosis_http_requests_total counter\n");
        for ((route, method, status), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                out,
                "mosis_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP mosis_http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE mosis_http_request_duration_seconds histogram\n");
        for (route, h) in lock(&self.latency).iter() {
            h.render(
                &mut out,
                "mosis_http_request_duration_seconds",
                &format!("route=\"{route}\""),
            );
        }
        let _ = write!(
            out,
            "# HELP mosis_uploads_total Package uploads by outcome.\n\
             # TYPE mosis_uploads_total counter\n\
             mosis_uploads_total{{result=\"accepted\"}} {}\n\
             mosis_uploads_total{{result=\"refused\"}} {}\n\
             # HELP mosis_upload_bytes_total Bytes received in package uploads.\n\
             # TYPE mosis_upload_bytes_total counter\n\
             mosis_upload_bytes_total {}\n\
             # HELP mosis_review_queue_depth Review jobs waiting or running.\n\
             # TYPE mosis_review_queue_depth gauge\n\
             mosis_review_queue_depth {queue_depth}\n",
            self.uploads_accepted.load(Ordering::Relaxed),
            self.uploads_refused.load(Ordering::Relaxed),
            self.upload_bytes.load(Ordering::Relaxed),
        );
        out.push_str(
            "# HELP mosis_review_job_duration_seconds Review job attempts by outcome and time taken.\n\
             # TYPE mosis_review_job_duration_seconds histogram\n",
        );
        for (outcome, h) in lock(&self.review_jobs).iter() {
            h.render(
                &mut out,
                "mosis_review_job_duration_seconds",
                &format!("outcome=\"{outcome}\""),
            );
        }
        out
    }
}

impl mosis_review::JobObserver for Metrics {
    fn job_finished(&self, outcome: &'static str, took: Duration) {
        lock(&self.review_jobs)
            .entry(outcome)
            .or_default()
            .observe(took);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_and_bucketed_by_latency() {
        let m = Metrics::default();
        m.record_request("/healthz", "GET", 200, Duration::from_millis(3));
        m.record_request("/healthz", "GET", 200, Duration::from_millis(30));
        m.record_upload(true, 100);
        let text = m.render(4);
        assert!(text.contains(
            "mosis_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "mosis_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "mosis_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.05\"} 2"
        ));
        assert!(text.contains("mosis_uploads_total{result=\"accepted\"} 1"));
        assert!(text.contains("mosis_upload_bytes_total 100"));
        assert!(text.contains("mosis_review_queue_depth 4"));
        mosis_review::JobObserver::job_finished(&m, "in_review", Duration::from_millis(40));
        let text = m.render(0);
        assert!(text.contains(
            "mosis_review_job_duration_seconds_bucket{outcome=\"in_review\",le=\"0.05\"} 1"
        ));
        assert!(text.contains("mosis_review_job_duration_seconds_count{outcome=\"in_review\"} 1"));
    }
}
