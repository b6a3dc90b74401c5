//! A scripted browser for the sign-in tests: follows nothing by itself (each hop is
//! explicit), keeps cookies per host like a browser would, and reads forms off pages.

use reqwest::blocking::{Client, Response};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use std::collections::BTreeMap;

/// One browser profile.
pub struct Browser {
    http: Client,
    /// host:port → cookie name → value.
    jar: BTreeMap<String, BTreeMap<String, String>>,
}

/// A fetched page.
pub struct Page {
    pub url: String,
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

fn host_of(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    format!(
        "{}:{}",
        u.host_str().unwrap(),
        u.port_or_known_default().unwrap()
    )
}

impl Browser {
    pub fn new() -> Self {
        Self {
            http: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
        }
    }

    /// A cookie this browser holds for `url`'s host.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.jar.get(&host_of(url))?.get(name).cloned()
    }

    /// Sets (or, with `None`, drops) a cookie, e.g. to replay an old one.
    pub fn set_cookie(&mut self, url: &str, name: &str, value: Option<&str>) {
        let cookies = self.jar.entry(host_of(url)).or_default();
        match value {
            Some(v) => cookies.insert(name.into(), v.into()),
            None => cookies.remove(name),
        };
    }

    fn cookie_header(&self, url: &str) -> Option<String> {
        let cookies = self.jar.get(&host_of(url))?;
        (!cookies.is_empty()).then(|| {
            cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn absorb(&mut self, url: &str, response: Response) -> Page {
        let host = host_of(url);
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let expired = text.to_ascii_lowercase().contains("max-age=0") || value.is_empty();
            let cookies = self.jar.entry(host.clone()).or_default();
            if expired {
                cookies.remove(name.trim());
            } else {
                cookies.insert(name.trim().to_owned(), value.to_owned());
            }
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let location = headers.get(LOCATION).map(|l| {
            url::Url::parse(url)
                .unwrap()
                .join(l.to_str().unwrap())
                .unwrap()
                .to_string()
        });
        Page {
            url: url.to_owned(),
            status,
            location,
            body: response.text().unwrap(),
            headers,
        }
    }

    pub fn get(&mut self, url: &str) -> Page {
        let mut request = self.http.get(url);
        if let Some(c) = self.cookie_header(url) {
            request = request.header(COOKIE, c);
        }
        let response = request.send().unwrap();
        self.absorb(url, response)
    }

    pub fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let mut request = self.http.post(url).form(form);
        if let Some(c) = self.cookie_header(url) {
            request = request.header(COOKIE, c);
        }
        let response = request.send().unwrap();
        self.absorb(url, response)
    }

    /// Follows redirects until the next hop would go to `prefix` (not requested); returns it.
    pub fn follow_until(&mut self, mut page: Page, prefix: &str) -> String {
        for _ in 0..20 {
            let next = page.location.clone().unwrap_or_else(|| {
                panic!(
                    "{} ({}) did not redirect: {}",
                    page.url, page.status, page.body
                )
            });
            if next.starts_with(prefix) {
                return next;
            }
            page = self.get(&next);
        }
        panic!("never reached {prefix}");
    }
}

/// The value of `<meta name="csrf-token">` on a page.
pub fn csrf_of(body: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let start = body.find(marker).expect("the page has a CSRF token") + marker.len();
    body[start..start + body[start..].find('"').unwrap()].to_owned()
}

/// The `action` of the first `<form>` on a page.
pub fn form_action(body: &str) -> String {
    let start = body.find("<form").expect("a form");
    let tail = &body[start..];
    let a = tail.find("action=\"").unwrap() + 8;
    tail[a..a + tail[a..].find('"').unwrap()].to_owned()
}
