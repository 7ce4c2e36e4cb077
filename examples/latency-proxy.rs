//! A loopback proxy that answers every request `--latency-ms` late: a distant IAM endpoint
//! in front of a local moto server, for the drift benchmark (`benches/run.sh`).
//!
//! usage: latency-proxy --listen 127.0.0.1:PORT --upstream http://127.0.0.1:MOTOPORT
//!            --latency-ms 50

#[allow(dead_code)] // the fault-injection half is for the tests
#[path = "../tests/support/proxy.rs"]
mod proxy;

use std::time::Duration;

fn main() {
    let usage =
        "usage: latency-proxy --listen HOST:PORT --upstream http://HOST:PORT --latency-ms MS";
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
    // The proxy panics on a port it cannot take; say why here instead.
    if let Err(e) = std::net::TcpListener::bind(&listen) {
        eprintln!("{listen}: {e}");
        std::process::exit(2);
    }
    let proxy = proxy::FaultProxy::with_latency(&listen, &upstream, Duration::from_millis(latency));
    eprintln!("{} -> {upstream}, {latency} ms on every answer", proxy.url);
    loop {
        std::thread::park();
    }
}
