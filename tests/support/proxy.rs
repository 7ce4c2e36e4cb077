//! A loopback HTTP proxy in front of moto that injects the faults a real IAM endpoint
//! gives: error answers (throttling, 500s, denials), answers slower than the client's
//! timeout, dropped connections and answers cut short; and, for the benchmark
//! (`examples/latency-proxy.rs`), a fixed latency on every answer. Standard library only,
//! one thread per connection, one request per connection (`Connection: close`).

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
        Self::serve("127.0.0.1:0", upstream, Duration::ZERO, Arc::new(decide))
    }

    /// Passes everything on, each answer `latency` late: a distant endpoint on loopback.
    pub fn with_latency(listen: &str, upstream: &str, latency: Duration) -> FaultProxy {
        Self::serve(listen, upstream, latency, Arc::new(|_: &str| None))
    }

    fn serve(listen: &str, upstream: &str, latency: Duration, decide: Arc<Decide>) -> FaultProxy {
        let listener = TcpListener::bind(listen).expect("the proxy's port is free");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let injected = Arc::new(AtomicUsize::new(0));
        let count = injected.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, decide, count) = (upstream.clone(), decide.clone(), count.clone());
                std::thread::spawn(move || {
                    let _ = proxy_one(client, &upstream, latency, &*decide, &count);
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
    decide: &Decide,
    injected: &AtomicUsize,
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
    match fault {
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
    std::thread::sleep(latency);
    if let Some(Fault::LoseAnswer) = fault {
        return Ok(());
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
