//! The `threadkit` command: the course's experiments, reproduced and
//! measured on this machine (`tour`, `demo NAME`), and the benchmarks
//! against the peers a user would pick instead (`bench`).

mod bench;
mod progress;
mod report;
mod scenario;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::report::Report;
use crate::scenario::Params;

/// threadkit: Python's threading model in Rust, measured on this machine.
#[derive(Parser, Debug)]
#[command(name = "threadkit", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run every scenario of the course in order, each beside the seed's figure.
    Tour {
        /// Scale the work down (the whole tour in well under 15 s).
        #[arg(long)]
        quick: bool,
        /// Print the results as one JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run one scenario (`threadkit demo --list` names them).
    Demo(DemoArgs),
    /// Benchmarks: threadkit against its peers (and CPython when `python3` is on the PATH).
    Bench(BenchArgs),
    /// Programs the demos run as child processes (not for direct use).
    #[command(hide = true)]
    Internal {
        #[command(subcommand)]
        program: Internal,
    },
}

#[derive(Subcommand, Debug)]
enum Internal {
    /// The seed's daemon program.
    DaemonChild {
        #[arg(long = "interval-ms", value_parser = clap::value_parser!(u64).range(1..=60_000))]
        interval_ms: u64,
        #[arg(long = "main-ms", value_parser = clap::value_parser!(u64).range(1..=600_000))]
        main_ms: u64,
    },
}

#[derive(Args, Debug)]
struct DemoArgs {
    /// The scenario to run.
    #[arg(required_unless_present = "list")]
    name: Option<String>,
    /// List the scenarios, one line each.
    #[arg(long)]
    list: bool,
    /// Print the result as JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    params: ParamArgs,
}

/// The scenarios' parameters (each scenario reads the ones it names in `demo --list`).
#[derive(Args, Debug)]
struct ParamArgs {
    /// Scale the work down.
    #[arg(long)]
    quick: bool,
    /// Number of threads.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// Number of orders / downloads / tasks.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    orders: Option<u64>,
    /// Iterations per thread (counter increments, loop rounds...).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    iterations: Option<u64>,
    /// Latency of one I/O operation, in milliseconds (an order's wait, a download).
    #[arg(long = "latency-ms", value_parser = clap::value_parser!(u64).range(0..=60_000))]
    latency_ms: Option<u64>,
    /// CPU work per order, in milliseconds (the loop is calibrated to it).
    #[arg(long = "work-ms", value_parser = clap::value_parser!(u64).range(1..=60_000))]
    work_ms: Option<u64>,
    /// The Gil model's switch interval, in milliseconds.
    #[arg(long = "interval-ms", value_parser = clap::value_parser!(u64).range(1..=10_000))]
    interval_ms: Option<u64>,
    /// How long a bounded scenario may run, in milliseconds (livelock).
    #[arg(long = "budget-ms", value_parser = clap::value_parser!(u64).range(1..=600_000))]
    budget_ms: Option<u64>,
    /// Download these addresses instead of the embedded local server (repeatable).
    #[arg(long = "url")]
    urls: Vec<String>,
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Only the cases whose "group/case/impl" contains this text (case-insensitive).
    #[arg(long)]
    filter: Option<String>,
    /// Print one JSON array of {group, case, impl, value, unit}.
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Print a markdown table (for docs/BENCHMARKS.md).
    #[arg(long)]
    markdown: bool,
    /// Fewer samples and smaller samples (a smoke run).
    #[arg(long)]
    quick: bool,
    /// Do not run the CPython scripts even if `python3` is found.
    #[arg(long = "no-python")]
    no_python: bool,
    /// List the cases instead of running them.
    #[arg(long)]
    list: bool,
    /// Run the whole suite this many times and report, per case, the median
    /// of the rounds (steadier on a small, shared machine).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=50))]
    rounds: u16,
}

impl ParamArgs {
    fn into_params(self) -> Params {
        Params {
            quick: self.quick,
            threads: self.threads,
            orders: self.orders,
            iterations: self.iterations,
            latency_ms: self.latency_ms,
            work_ms: self.work_ms,
            interval_ms: self.interval_ms,
            budget_ms: self.budget_ms,
            urls: self.urls,
        }
    }
}

fn main() -> ExitCode {
    // A worker child (the `multiprocessing` demo, the `process` benchmarks)
    // runs its loop here and exits.
    if let Err(e) = threadkit::process::init(scenario::multiprocessing::register(
        bench::process::registry(),
    )) {
        eprintln!("error: cannot set up child processes: {e}");
        return ExitCode::FAILURE;
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            // One line: clap's first line ("error: ...") without the usage.
            let text = e.render().to_string();
            let line = text.lines().next().unwrap_or("error: invalid arguments");
            eprintln!("{line} (see `threadkit --help`)");
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Tour { quick, json } => {
            let params = Params {
                quick,
                ..Params::default()
            };
            scenario::tour(&params, json)
        }
        Command::Demo(d) => {
            if d.list {
                print!("{}", scenario::list());
                return Ok(());
            }
            let name = d.name.unwrap_or_default();
            let sc = scenario::find(&name).ok_or_else(|| {
                format!("unknown demo `{name}`; `threadkit demo --list` names them")
            })?;
            let params = d.params.into_params();
            let mut report = Report::new(sc.name, sc.summary);
            let result = (sc.run)(&params, &mut report);
            report.print(d.json);
            result
        }
        Command::Internal {
            program:
                Internal::DaemonChild {
                    interval_ms,
                    main_ms,
                },
        } => scenario::daemon::child(
            std::time::Duration::from_millis(interval_ms),
            std::time::Duration::from_millis(main_ms),
        ),
        Command::Bench(b) => bench::run(&bench::Options {
            filter: b.filter,
            json: b.json,
            markdown: b.markdown,
            quick: b.quick,
            python: !b.no_python,
            list: b.list,
            rounds: usize::from(b.rounds),
        }),
    }
}
