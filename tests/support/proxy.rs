//! A loopback HTTP proxy in front of moto that injects the faults a real IAM endpoint
//! gives: error answers (throttling, 500s, denials), answers slower than the client's
//! timeout, dropped connections and answers cut short; and, for the benchmark
//! (`examples/latency-proxy.rs`), a fixed latency on every answer. moto answers
//! `GetAccountAuthorizationDetails` in one page however large; the proxy can split that
//! answer into pages of a few items the way IAM does (`IsTruncated`, `Marker`). With a
//! `Trail` (trail.rs) it also plays CloudTrail: it records the membership writes it
//! forwards and answers `LookupEvents`, faults included. Standard library only, one thread
//! per connection, one request per connection (`Connection: close`).

use super::trail::Trail;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What the proxy does to one request instead of passing it on untouched.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Answer with this HTTP status and IAM error code.
    Error(u16, &'static str),
    /// Hold the request this long before passing it on.
    Delay(Duration),
    /// Close the connection without an answer.
    Drop,
    /// Pass it on, but send only the first half of the answer's body, then close.
    Truncate,
    /// Pass it on, then close the connection without the answer: the call took effect
    /// but the client cannot know.
    LoseAnswer,
}

/// Decides from a request's form body (`Action=ListGroups&...`) whether to inject a fault.
pub type Decide = dyn Fn(&str) -> Option<Fault> + Send + Sync;

pub struct FaultProxy {
    pub url: String,
    injected: Arc<AtomicUsize>,
}

impl FaultProxy {
    pub fn start(
        upstream: &str,
        decide: impl Fn(&str) -> Option<Fault> + Send + Sync + 'static,
    ) -> FaultProxy {
        let decide = Arc::new(decide);
        Self::serve("127.0.0.1:0", upstream, Duration::ZERO, None, decide, None)
    }

    /// As `start`, recording membership writes into `trail` and answering `LookupEvents`
    /// from it.
    pub fn recording(
        upstream: &str,
        trail: Arc<Trail>,
        decide: impl Fn(&str) -> Option<Fault> + Send + Sync + 'static,
    ) -> FaultProxy {
        let decide = Arc::new(decide);
        Self::serve(
            "127.0.0.1:0",
            upstream,
            Duration::ZERO,
            None,
            decide,
            Some(trail),
        )
    }

    /// As `start`, with `GetAccountAuthorizationDetails` answered `page_items` items a page.
    pub fn paging(
        upstream: &str,
        page_items: usize,
        decide: impl Fn(&str) -> Option<Fault> + Send + Sync + 'static,
    ) -> FaultProxy {
        let decide = Arc::new(decide);
        Self::serve(
            "127.0.0.1:0",
            upstream,
            Duration::ZERO,
            Some(page_items),
            decide,
            None,
        )
    }

    /// Passes everything on, each answer `latency` late: a distant endpoint on loopback;
    /// `GetAccountAuthorizationDetails` in pages of `page_items` when given, and CloudTrail
    /// played from `trail` when given.
    #[allow(dead_code)] // the benchmark's proxy (examples/latency-proxy.rs), not the tests
    pub fn with_latency(
        listen: &str,
        upstream: &str,
        latency: Duration,
        page_items: Option<usize>,
        trail: Option<Arc<Trail>>,
    ) -> FaultProxy {
        Self::serve(
            listen,
            upstream,
            latency,
            page_items,
            Arc::new(|_: &str| None),
            trail,
        )
    }

    fn serve(
        listen: &str,
        upstream: &str,
        latency: Duration,
        page_items: Option<usize>,
        decide: Arc<Decide>,
        trail: Option<Arc<Trail>>,
    ) -> FaultProxy {
        let listener = TcpListener::bind(listen).expect("the proxy's port is free");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let injected = Arc::new(AtomicUsize::new(0));
        let count = injected.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, decide, count) = (upstream.clone(), decide.clone(), count.clone());
                let trail = trail.clone();
                std::thread::spawn(move || {
                    let _ = proxy_one(
                        client,
                        &upstream,
                        latency,
                        page_items,
                        &*decide,
                        &count,
                        trail.as_deref(),
                    );
                });
            }
        });
        FaultProxy { url, injected }
    }

    /// How many faults the proxy has injected so far.
    pub fn injected(&self) -> usize {
        self.injected.load(Ordering::SeqCst)
    }
}

/// A fault for the first `n` requests that `matches` accepts, then none: a transient fault.
pub fn first(
    n: usize,
    matches: impl Fn(&str) -> bool + Send + Sync + 'static,
    fault: Fault,
) -> impl Fn(&str) -> Option<Fault> + Send + Sync + 'static {
    let seen = AtomicUsize::new(0);
    move |body| (matches(body) && seen.fetch_add(1, Ordering::SeqCst) < n).then_some(fault)
}

/// A fault for the first sending of every distinct request, none for its retries: every
/// call of a run fails once.
pub fn once_each(fault: Fault) -> impl Fn(&str) -> Option<Fault> + Send + Sync + 'static {
    let seen = std::sync::Mutex::new(std::collections::HashSet::new());
    move |body| {
        seen.lock()
            .unwrap()
            .insert(body.to_string())
            .then_some(fault)
    }
}

fn proxy_one(
    mut client: TcpStream,
    upstream: &str,
    latency: Duration,
    page_items: Option<usize>,
    decide: &Decide,
    injected: &AtomicUsize,
    trail: Option<&Trail>,
) -> std::io::Result<()> {
    let mut request = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        let n = client.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(i) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while request.len() < head_end + length {
        let n = client.read(&mut buf)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let body = String::from_utf8_lossy(&request[head_end..]).to_string();
    let fault = decide(&body);
    if fault.is_some() {
        injected.fetch_add(1, Ordering::SeqCst);
    }
    // CloudTrail speaks JSON 1.1: its requests name their operation in `X-Amz-Target`.
    let cloudtrail = head.contains("CloudTrail_20131101.");
    match fault {
        Some(Fault::Error(status, code)) if cloudtrail => {
            let json = format!(r#"{{"__type":"{code}","message":"injected by the test proxy"}}"#);
            return write!(
                client,
                "HTTP/1.1 {status} Injected\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-ErrorType: {code}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                json.len()
            );
        }
        Some(Fault::Error(status, code)) => {
            let xml = format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected by the test proxy</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
            );
            return write!(
                client,
                "HTTP/1.1 {status} Injected\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                xml.len()
            );
        }
        Some(Fault::Drop) => return Ok(()),
        Some(Fault::Delay(delay)) => std::thread::sleep(delay),
        Some(Fault::Truncate | Fault::LoseAnswer) | None => {}
    }
    if let Some(trail) = trail.filter(|_| head.contains("CloudTrail_20131101.LookupEvents")) {
        let json = trail.lookup_events(&body);
        std::thread::sleep(latency);
        return write!(
            client,
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
            json.len()
        );
    }
    let mut server = TcpStream::connect(upstream)?;
    let head = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:") && !l.is_empty())
        .collect::<Vec<_>>()
        .join("\r\n");
    write!(server, "{head}\r\nConnection: close\r\n\r\n")?;
    server.write_all(&request[head_end..])?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer)?;
    if let Some(trail) = trail.filter(|_| answer.starts_with(b"HTTP/1.1 200")) {
        trail.record(&head, &body);
    }
    std::thread::sleep(latency);
    if let Some(Fault::LoseAnswer) = fault {
        return Ok(());
    }
    if let Some(items) =
        page_items.filter(|_| body.contains("Action=GetAccountAuthorizationDetails&"))
    {
        answer = one_page(&answer, items, &body);
    }
    if let Some(Fault::Truncate) = fault {
        let body_start = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(0, |i| i + 4);
        answer.truncate(body_start + (answer.len() - body_start) / 2);
    }
    client.write_all(&answer)
}

/// The lists of `GetAccountAuthorizationDetails`, in the order IAM pages through them.
const DETAIL_LISTS: [&str; 4] = [
    "UserDetailList",
    "GroupDetailList",
    "RoleDetailList",
    "Policies",
];

/// The page of moto's whole `GetAccountAuthorizationDetails` answer that the request's
/// `Marker` (`page-N`, the proxy's own) asks for, `items` list members a page with
/// `IsTruncated` and the next `Marker` as IAM gives them. moto ignores `Marker`, so every
/// page is cut from a fresh whole answer. Other answers (errors) pass unchanged.
fn one_page(answer: &[u8], items: usize, request: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return answer.to_vec();
    };
    let open = "<GetAccountAuthorizationDetailsResult>";
    let close = "</GetAccountAuthorizationDetailsResult>";
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    let (Some(start), Some(end)) = (body.find(open), body.find(close)) else {
        return answer.to_vec();
    };
    let result = &body[start + open.len()..end];
    let mut all: Vec<(&str, &str)> = Vec::new();
    for list in DETAIL_LISTS {
        all.extend(list_members(result, list).into_iter().map(|m| (list, m)));
    }
    let page: usize = request
        .split('&')
        .find_map(|p| p.strip_prefix("Marker=page-")?.parse().ok())
        .unwrap_or(0);
    let chunk = all.iter().skip(page * items).take(items);
    let mut xml = String::from(open);
    for list in DETAIL_LISTS {
        xml += &format!("<{list}>");
        for (_, member) in chunk.clone().filter(|(l, _)| *l == list) {
            xml += member;
        }
        xml += &format!("</{list}>");
    }
    let more = (page + 1) * items < all.len();
    xml += &format!("<IsTruncated>{more}</IsTruncated>");
    if more {
        xml += &format!("<Marker>page-{}</Marker>", page + 1);
    }
    let body = format!("{}{xml}{}", &body[..start], &body[end..]);
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The top-level `<member>` elements of `<list>` in `xml`, each whole.
fn list_members<'x>(xml: &'x str, list: &str) -> Vec<&'x str> {
    let (open, close) = (format!("<{list}>"), format!("</{list}>"));
    let Some(inner) = xml
        .split_once(&open)
        .and_then(|(_, rest)| Some(rest.split_once(&close)?.0))
    else {
        return Vec::new(); // absent, or empty as `<List/>`
    };
    let mut members = Vec::new();
    let (mut depth, mut start, mut at) = (0usize, 0usize, 0usize);
    while let Some(offset) = inner[at..].find("member>") {
        let tag = at + offset;
        let closing = inner[..tag].ends_with("</");
        let opening = inner[..tag].ends_with('<');
        at = tag + "member>".len();
        if opening {
            if depth == 0 {
                start = tag - 1;
            }
            depth += 1;
        } else if closing {
            depth -= 1;
            if depth == 0 {
                members.push(&inner[start..at]);
            }
        }
    }
    members
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out += &after[..size];
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}
