//! A loopback proxy that answers every request `--latency-ms` late: a distant IAM endpoint
//! in front of a local moto server, for the drift benchmark (`benches/run.sh`).
//!
//! usage: latency-proxy --listen 127.0.0.1:PORT --upstream http://127.0.0.1:MOTOPORT
//!            --latency-ms 50 [--page-items 1000]
//!
//! `--page-items`: answer `GetAccountAuthorizationDetails` in pages of that many items, as
//! IAM does (moto answers it in one page however large).

#[allow(dead_code)] // the fault-injection half is for the tests
#[path = "../tests/support/proxy.rs"]
mod proxy;
#[allow(dead_code)] // the proxy plays CloudTrail from a trail only in the tests
#[path = "../tests/support/trail.rs"]
mod trail;

use std::time::Duration;

fn main() {
    let usage =
        "usage: latency-proxy --listen HOST:PORT --upstream http://HOST:PORT --latency-ms MS [--page-items N]";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        let found = args
            .iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1));
        found.cloned().unwrap_or_else(|| {
            eprintln!("{flag} is required\n{usage}");
            std::process::exit(2);
        })
    };
    let (listen, upstream) = (value("--listen"), value("--upstream"));
    let Ok(latency) = value("--latency-ms").parse::<u64>() else {
        eprintln!("--latency-ms: not a whole number of milliseconds\n{usage}");
        std::process::exit(2);
    };
    let page_items = match args.iter().position(|a| a == "--page-items") {
        None => None,
        Some(i) => match args.get(i + 1).and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if n > 0 => Some(n),
            _ => {
                eprintln!("--page-items: not a positive whole number\n{usage}");
                std::process::exit(2);
            }
        },
    };
    // The proxy panics on a port it cannot take; say why here instead.
    if let Err(e) = std::net::TcpListener::bind(&listen) {
        eprintln!("{listen}: {e}");
        std::process::exit(2);
    }
    let proxy = proxy::FaultProxy::with_latency(
        &listen,
        &upstream,
        Duration::from_millis(latency),
        page_items,
        None,
    );
    eprintln!("{} -> {upstream}, {latency} ms on every answer", proxy.url);
    loop {
        std::thread::park();
    }
}
