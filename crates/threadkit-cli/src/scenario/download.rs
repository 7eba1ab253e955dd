//! `download`: five downloads, one thread vs five threads, against an
//! embedded local HTTP server with a set latency (or `--url` addresses).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::work::secs;
use super::{Params, Scenario};
use crate::report::{Report, seeds};

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "download",
    summary: "five downloads: one thread vs five threads (embedded local server, or --url)",
    flags: "--orders N downloads, --latency-ms MS, --url URL...",
    run,
};

/// Body size of the embedded server's page.
const PAGE: usize = 16 * 1024;

/// The embedded server: 127.0.0.1 on a free port, each connection served
/// on its own thread, each request answered after `latency`, one request per
/// connection. Stops when dropped.
///
/// A few lines of std instead of an HTTP server crate: a server whose
/// connection pool queues a burst of connections behind busy ones would
/// double some of the five-thread figures, and the point here is the
/// client side.
struct LocalServer {
    addr: SocketAddr,
    url: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LocalServer {
    fn start(latency: Duration) -> Result<LocalServer, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| format!("cannot start the local HTTP server: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("the local HTTP server has no address: {e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("download-server".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    // Relaxed: the flag is set before the waking connection
                    // is made, and `accept` returning orders the two.
                    if stopped.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Ok(stream) = conn {
                        let _ = std::thread::Builder::new()
                            .name("download-request".into())
                            .spawn(move || serve(stream, latency));
                    }
                }
            })
            .map_err(|e| format!("cannot start the server thread: {e}"))?;
        Ok(LocalServer {
            addr,
            url: format!("http://{addr}/page"),
            stop,
            thread: Some(thread),
        })
    }
}

/// Reads one request's head, waits `latency`, answers with the page and
/// closes the connection.
fn serve(mut stream: TcpStream, latency: Duration) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    std::thread::sleep(latency);
    let header = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {PAGE}\r\nConnection: close\r\n\r\n"
    );
    let _ = stream.write_all(header.as_bytes());
    let _ = stream.write_all(&[b'x'; PAGE]);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        // Relaxed: see the accept loop.
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop with one last connection.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn fetch(agent: &ureq::Agent, url: &str) -> Result<usize, String> {
    let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
    response
        .body_mut()
        .read_to_vec()
        .map(|b| b.len())
        .map_err(|e| e.to_string())
}

fn run(p: &Params, r: &mut Report) -> Result<(), String> {
    let count = p.orders.unwrap_or(5) as usize;
    for u in &p.urls {
        if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() < 10 {
            return Err(format!(
                "invalid --url `{u}`: give a full address such as https://example.com/"
            ));
        }
    }
    let _server;
    let urls: Vec<String> = if p.urls.is_empty() {
        let latency = p.latency(800, 50);
        let server = LocalServer::start(latency)?;
        r.note(format!(
            "The seed downloads http://google.com 5 times. Here: the embedded server at {} \
             answers each request after {latency:?} ({} KiB).",
            server.url,
            PAGE / 1024
        ));
        let urls = vec![server.url.clone(); count];
        _server = server;
        urls
    } else if p.urls.len() == 1 {
        r.note(format!("Downloading {} {count} times.", p.urls[0]));
        vec![p.urls[0].clone(); count]
    } else {
        r.note(format!("Downloading {} addresses.", p.urls.len()));
        p.urls.clone()
    };
    let n = urls.len();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(if p.quick { 5 } else { 15 })))
        .build()
        .into();

    let mut failures = Vec::new();
    let t = Instant::now();
    for (i, u) in urls.iter().enumerate() {
        if let Err(e) = fetch(&agent, u) {
            failures.push(format!(
                "download {} of {u} (one thread) failed: {e}",
                i + 1
            ));
        }
    }
    r.seconds(
        format!("{n} downloads on one thread"),
        secs(t),
        if n == 5 { seeds::python_s(4.09) } else { None },
    );

    let t = Instant::now();
    let results: Vec<Result<usize, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = urls.iter().map(|u| s.spawn(|| fetch(&agent, u))).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("the download thread panicked".into()))
            })
            .collect()
    });
    r.seconds(
        format!("{n} downloads on {n} threads"),
        secs(t),
        if n == 5 { seeds::python_s(0.43) } else { None },
    );
    for (i, (res, u)) in results.iter().zip(&urls).enumerate() {
        if let Err(e) = res {
            failures.push(format!(
                "download {} of {u} ({n} threads) failed: {e}",
                i + 1
            ));
        }
    }
    for f in &failures {
        r.note(f.clone());
    }
    if failures.is_empty() {
        r.note("Downloads wait on the network, not the CPU: threads overlap the waits.");
        Ok(())
    } else {
        Err(format!(
            "{} of {} downloads failed (the others completed)",
            failures.len(),
            2 * n
        ))
    }
}
