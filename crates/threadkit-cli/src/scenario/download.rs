//! `download`: five downloads, one thread vs five threads, against an
//! embedded local HTTP server with a set latency (or `--url` addresses).

use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::work::secs;
use super::{Params, Scenario};
use crate::report::{seeds, Report};

pub(crate) const SCENARIO: Scenario = Scenario {
    name: "download",
    summary: "five downloads: one thread vs five threads (embedded local server, or --url)",
    flags: "--orders N downloads, --latency-ms MS, --url URL...",
    run,
};

/// Body size of the embedded server's page.
const PAGE: usize = 16 * 1024;

/// The embedded server: 127.0.0.1 on a free port, each request answered
/// after `latency` on its own thread. Stops when dropped.
struct LocalServer {
    server: Arc<tiny_http::Server>,
    url: String,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LocalServer {
    fn start(latency: Duration) -> Result<LocalServer, String> {
        let server = tiny_http::Server::http("127.0.0.1:0")
            .map_err(|e| format!("cannot start the local HTTP server: {e}"))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .ok_or("the local HTTP server has no IP address")?;
        let server = Arc::new(server);
        let s = Arc::clone(&server);
        let thread = std::thread::Builder::new()
            .name("download-server".into())
            .spawn(move || {
                for request in s.incoming_requests() {
                    let _ = std::thread::Builder::new()
                        .name("download-request".into())
                        .spawn(move || {
                            std::thread::sleep(latency);
                            let body = Cursor::new(vec![b'x'; PAGE]);
                            // One request per connection: no idle
                            // keep-alive connection holds a server thread.
                            let close = tiny_http::Header::from_bytes("Connection", "close").ok();
                            let _ = request.respond(tiny_http::Response::new(
                                200.into(),
                                close.into_iter().collect(),
                                body,
                                Some(PAGE),
                                None,
                            ));
                        });
                }
            })
            .map_err(|e| format!("cannot start the server thread: {e}"))?;
        Ok(LocalServer {
            server,
            url: format!("http://127.0.0.1:{port}/page"),
            thread: Some(thread),
        })
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.server.unblock();
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
