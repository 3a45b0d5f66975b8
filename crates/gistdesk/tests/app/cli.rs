//! The `gistdesk` binary: bad configuration is a clear error and a non-zero exit;
//! `serve` without a client id runs the emulator and says so in one line.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn gistdesk() -> Command {
    // Nothing from the developer's environment: every setting comes from the test.
    let mut command = Command::new(env!("CARGO_BIN_EXE_gistdesk"));
    command.env_clear();
    command
}

#[test]
fn bad_configuration_names_the_variable_and_fails() {
    for (args, envs, expected) in [
        (
            vec!["serve"],
            vec![("GITHUB_CLIENT_ID", "abc")],
            "GITHUB_CLIENT_SECRET",
        ),
        (vec!["serve"], vec![("PUBLIC_URL", "ftp://x")], "PUBLIC_URL"),
        (
            vec!["serve"],
            vec![("SESSION_STORE", "mysql://db")],
            "SESSION_STORE",
        ),
        (vec!["serve", "--bind", "nonsense"], vec![], "--bind"),
    ] {
        let output = gistdesk()
            .args(&args)
            .envs(envs.iter().copied())
            .output()
            .expect("gistdesk runs");
        assert!(!output.status.success(), "{args:?} {envs:?} must fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }
}

#[test]
fn serve_without_a_client_id_prints_one_line_with_the_url() {
    let dir = std::env::temp_dir().join(format!("gistdesk-cli-{}", std::process::id()));
    let mut child = gistdesk()
        .arg("serve")
        .env("BIND", "127.0.0.1:0")
        .env("DATA_DIR", &dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("gistdesk starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    read.expect("a line");
    assert!(
        line.contains("built-in emulator at http://127.0.0.1:"),
        "{line}"
    );
    assert!(line.contains("open http://127.0.0.1:"), "{line}");
    assert!(!line.contains(":0/"), "the real port, not 0: {line}");
}
