//! The course's ThreadPoolExecutor: `map` (results in input order),
//! `submit` + `as_completed` (results as they finish), and `result` with a
//! 0.5 s timeout on a task that takes longer.
//!
//! Run with `cargo run -p threadkit --example thread_pool`.

use std::time::Duration;

use threadkit::{FutureError, ThreadPoolExecutor, as_completed};

fn download(url: String) -> String {
    std::thread::sleep(Duration::from_millis(200)); // simulated I/O
    format!("Downloaded {url}")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let urls: Vec<String> = (0..5).map(|i| format!("https://example.com/{i}")).collect();
    let executor = ThreadPoolExecutor::builder().max_workers(3).build()?;

    let results = executor
        .map(download, urls.clone())?
        .collect::<Result<Vec<_>, _>>()?;
    println!("{results:?}");

    let futures = urls
        .into_iter()
        .map(|u| executor.submit(move || download(u)))
        .collect::<Result<Vec<_>, _>>()?;
    for f in as_completed(&futures) {
        println!("{}", f?.result()?);
    }

    let slow = executor.submit(|| download("https://slow.com".into()) + " (slowly)")?;
    let slow2 = executor.submit(|| {
        std::thread::sleep(Duration::from_secs(1));
        "finally".to_string()
    })?;
    match slow2.result_timeout(Duration::from_millis(500)) {
        Err(FutureError::Timeout) => println!("Timeout!"),
        other => println!("unexpected: {other:?}"),
    }
    println!("{}", slow.result()?);
    // Dropping the executor waits for the running tasks (shutdown(wait=True)).
    Ok(())
}
