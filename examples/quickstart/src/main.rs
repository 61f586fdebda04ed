//! Runs the quickstart server: `cargo run -p quickstart`.

use std::process::ExitCode;

#[rocket::main]
async fn main() -> ExitCode {
    match quickstart::rocket().launch().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            // Rocket has already logged the cause (a bad key names itself above); exit
            // with a status instead of a panic and a backtrace.
            let summary = e.pretty_print();
            eprintln!("quickstart: {summary}");
            ExitCode::FAILURE
        }
    }
}
