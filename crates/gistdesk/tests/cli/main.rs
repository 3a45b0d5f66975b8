//! The command line against the in-process emulator: the real `gistdesk` binary signs
//! in through the device flow (`gistdesk login`), works with gists (`gistdesk gists …`)
//! and explains what went wrong when it cannot. Output is read line by line until the
//! expected text appears, with a timeout; nothing sleeps. `pty` runs it under a
//! pseudo-terminal, as a person would.

#[cfg(unix)]
mod pty;
#[path = "../support/units.rs"]
mod units;

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use github_emulator::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator, EmulatorBuilder, GITHUB_APP_CLIENT_ID,
    GITHUB_APP_CLIENT_SECRET, OAuthAppSpec,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// The longest any step may take before the test fails.
const WAIT: Duration = Duration::from_secs(60);

/// A temporary data directory, removed at the end.
struct DataDir(PathBuf);

impl DataDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "gistdesk-cli-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        Self(path)
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An emulator (polls allowed every second) and a data directory.
struct Setup {
    emu: Emulator,
    data: DataDir,
}

impl Setup {
    async fn new(name: &str) -> Self {
        Self::with(name, Emulator::builder()).await
    }

    async fn with(name: &str, builder: EmulatorBuilder) -> Self {
        let emu = builder
            .device_flow_timing(Duration::from_secs(900), 1)
            .spawn()
            .await
            .expect("the emulator starts");
        Self {
            emu,
            data: DataDir::new(name),
        }
    }

    /// The environment of every `gistdesk` run against this emulator and data directory.
    fn env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        vec![
            ("GITHUB_URL", self.emu.base_url().as_str().into()),
            ("GITHUB_API_URL", self.emu.api_url().as_str().into()),
            ("GITHUB_CLIENT_ID", DEFAULT_CLIENT_ID.into()),
            ("DATA_DIR", self.data.0.clone().into()),
        ]
    }

    /// `gistdesk ARGS` pointed at the emulator's OAuth app and this data directory.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gistdesk"));
        // Nothing from the developer's environment: every setting comes from the test.
        command
            .env_clear()
            .args(args)
            .envs(self.env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    async fn run(&self, args: &[&str]) -> Finished {
        Running::start(self.command(args)).finish().await
    }

    /// `gistdesk ARGS` with `input` on its standard input.
    async fn run_with_stdin(&self, args: &[&str], input: &str) -> Finished {
        let mut command = self.command(args);
        command.stdin(Stdio::piped());
        let mut running = Running::start(command);
        let mut stdin = running.child.stdin.take().expect("stdin piped");
        stdin.write_all(input.as_bytes()).await.expect("written");
        drop(stdin);
        running.finish().await
    }

    /// `gistdesk gists create ARGS`; the new gist's id.
    async fn create(&self, args: &[&str]) -> String {
        let mut all = vec!["gists", "create"];
        all.extend_from_slice(args);
        created_id(self.run(&all).await.succeeded())
    }

    /// The emulator's host as sign-ins name it (`127.0.0.1:PORT`).
    fn host(&self) -> String {
        host_of(&self.emu)
    }

    /// `DATA_DIR/hosts/127.0.0.1_PORT.json`.
    fn credentials(&self) -> PathBuf {
        credentials_in(&self.data.0, &self.emu)
    }

    fn saved_token(&self) -> String {
        saved_token(&self.credentials())
    }

    /// `gistdesk login`, approved as `login` through the emulator's control helper.
    async fn sign_in(&self, command: Command, login: &str) -> Finished {
        let mut running = Running::start(command);
        let code = running.user_code().await;
        assert!(
            self.emu.control().approve_device(&code, login),
            "the emulator knows the code {code}"
        );
        running.finish().await
    }

    async fn sign_in_octocat(&self) {
        self.sign_in(self.command(&["login"]), "octocat")
            .await
            .succeeded();
    }
}

fn host_of(emu: &Emulator) -> String {
    let url = emu.base_url();
    format!(
        "{}:{}",
        url.host_str().expect("a host"),
        url.port().expect("a port")
    )
}

/// Where a sign-in to `emu` is kept in a store folder.
fn credentials_in(dir: &Path, emu: &Emulator) -> PathBuf {
    dir.join("hosts")
        .join(format!("{}.json", host_of(emu).replace(':', "_")))
}

fn saved_token(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("credentials saved");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    json["tokens"]["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// A running `gistdesk`, its output read line by line.
struct Running {
    child: Child,
    lines: mpsc::UnboundedReceiver<(bool, String)>,
    stdout: String,
    stderr: String,
}

impl Running {
    fn start(mut command: Command) -> Self {
        let mut child = command.spawn().expect("gistdesk starts");
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(forward(
            child.stdout.take().expect("stdout piped"),
            true,
            tx.clone(),
        ));
        tokio::spawn(forward(
            child.stderr.take().expect("stderr piped"),
            false,
            tx,
        ));
        Self {
            child,
            lines,
            stdout: String::new(),
            stderr: String::new(),
        }
    }

    fn keep(&mut self, is_stdout: bool, line: &str) {
        let into = if is_stdout {
            &mut self.stdout
        } else {
            &mut self.stderr
        };
        into.push_str(line);
        into.push('\n');
    }

    /// Reads output until a line contains `needle`.
    async fn line_containing(&mut self, needle: &str) -> String {
        let found = tokio::time::timeout(WAIT, async {
            while let Some((is_stdout, line)) = self.lines.recv().await {
                self.keep(is_stdout, &line);
                if line.contains(needle) {
                    return Some(line);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(line)) => line,
            Ok(None) => panic!(
                "gistdesk ended without printing {needle:?}\nstdout:\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            ),
            Err(_) => panic!(
                "no {needle:?} within {WAIT:?}\nstdout:\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            ),
        }
    }

    /// The user code from "… enter the code WDJB-MJHT".
    async fn user_code(&mut self) -> String {
        let line = self.line_containing("enter the code ").await;
        let code = line.rsplit(' ').next().expect("a word").trim().to_owned();
        assert_eq!(code.len(), 9, "a code like WDJB-MJHT: {line}");
        code
    }

    fn pid(&self) -> u32 {
        self.child.id().expect("still running")
    }

    async fn finish(mut self) -> Finished {
        let status = tokio::time::timeout(WAIT, async {
            while let Some((is_stdout, line)) = self.lines.recv().await {
                self.keep(is_stdout, &line);
            }
            self.child.wait().await
        })
        .await;
        let status = match status {
            Ok(status) => status.expect("gistdesk's exit status"),
            Err(_) => panic!(
                "gistdesk did not exit within {WAIT:?}\nstdout:\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            ),
        };
        Finished {
            status,
            stdout: self.stdout,
            stderr: self.stderr,
        }
    }
}

async fn forward(
    output: impl AsyncRead + Unpin,
    is_stdout: bool,
    tx: mpsc::UnboundedSender<(bool, String)>,
) {
    let mut lines = BufReader::new(output).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if tx.send((is_stdout, line)).is_err() {
            break;
        }
    }
}

/// What a finished `gistdesk` printed.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Finished {
    /// The exit status's code.
    fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Nothing printed holds `secret`, nor a token prefix.
    fn never_shows(&self, secret: &str) -> &Self {
        for output in [&self.stdout, &self.stderr] {
            assert!(!output.contains(secret), "a token was printed:\n{output}");
            for prefix in ["gho_", "ghu_", "ghr_"] {
                assert!(
                    !output.contains(prefix),
                    "a token prefix was printed:\n{output}"
                );
            }
        }
        self
    }

    fn succeeded(&self) -> &Self {
        assert!(
            self.status.success(),
            "gistdesk failed ({})\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Failed with a non-zero exit and `expected` in the error.
    fn failed_with(&self, expected: &[&str]) -> &Self {
        assert!(
            !self.status.success(),
            "gistdesk should fail\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        for text in expected {
            assert!(
                self.stderr.contains(text),
                "{text:?} in stderr:\n{}",
                self.stderr
            );
        }
        self
    }

    fn ids(&self) -> Vec<String> {
        self.stdout
            .lines()
            .filter_map(|line| line.split('\t').next())
            .map(str::to_owned)
            .collect()
    }
}

/// The id from "Created gist ID".
fn created_id(created: &Finished) -> String {
    created
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("Created gist "))
        .expect("the new gist's id")
        .to_owned()
}

/// The gists octocat owns, newest first, read straight from the API.
async fn octocat_gist_ids(emu: &Emulator) -> Vec<String> {
    let token = emu.issue_token("octocat", &["gist"]);
    let client = github_api::Client::new(emu.api_url(), github_api::AccessToken::new(token))
        .expect("client");
    let gists: Vec<_> = client.gists().list().collect().await;
    gists
        .into_iter()
        .map(|g| g.expect("a gist").id.as_str().to_owned())
        .collect()
}

fn mode(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        0o600
    }
}

#[tokio::test]
async fn sign_in_list_create_show_delete_and_sign_out() {
    let setup = Setup::new("round-trip").await;

    let login = setup.sign_in(setup.command(&["login"]), "octocat").await;
    login.succeeded();
    assert!(
        login
            .stdout
            .contains(&format!("Signed in to {} as octocat", setup.host())),
        "{}",
        login.stdout
    );
    assert!(setup.credentials().exists());
    assert_eq!(mode(&setup.credentials()), 0o600);
    let token = setup.saved_token();
    assert!(token.starts_with("gho_"));
    for output in [&login.stdout, &login.stderr] {
        assert!(!output.contains(&token), "the token is never printed");
        assert!(!output.contains("gho_"), "no token prefix either: {output}");
    }

    // More than one page (the client asks for 100 per page): the list follows Link.
    let control = setup.emu.control();
    for n in 0..30 {
        control
            .add_gist(
                "octocat",
                Some(&format!("extra {n}")),
                true,
                &[("n.txt", "x")],
            )
            .expect("added");
    }
    let expected = octocat_gist_ids(&setup.emu).await;
    assert!(expected.len() > 100, "{} gists", expected.len());
    let list = setup.run(&["gists", "list"]).await;
    list.succeeded();
    assert_eq!(list.ids(), expected);
    assert!(list.stdout.contains("\tpublic\t"), "{}", list.stdout);

    let limited = setup.run(&["gists", "list", "--limit", "5"]).await;
    limited.succeeded();
    assert_eq!(limited.ids(), expected[..5].to_vec());
    setup.run(&["gists", "list", "--starred"]).await.succeeded();

    // Create, show, delete.
    let files = DataDir::new("files");
    std::fs::create_dir_all(&files.0).expect("dir");
    let hello = files.0.join("hello.rs");
    let notes = files.0.join("notes.md");
    std::fs::write(&hello, "fn main() {}\n").expect("file");
    std::fs::write(&notes, "# Notes\nline two").expect("file");
    let (hello, notes) = (
        hello.to_str().expect("UTF-8 path"),
        notes.to_str().expect("UTF-8 path"),
    );
    let created = setup
        .run(&[
            "gists",
            "create",
            "--description",
            "from the command line",
            hello,
            notes,
        ])
        .await;
    created.succeeded();
    let id = created
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("Created gist "))
        .expect("the new gist's id")
        .to_owned();

    let shown = setup.run(&["gists", "show", &id]).await;
    shown.succeeded();
    for text in [
        "from the command line  (secret",
        "==> hello.rs <==\nfn main() {}\n",
        "==> notes.md <==\n# Notes\nline two\n",
    ] {
        assert!(shown.stdout.contains(text), "{text:?} in\n{}", shown.stdout);
    }
    let listed = setup.run(&["gists", "list"]).await;
    assert!(listed.succeeded().ids().contains(&id));

    let deleted = setup.run(&["gists", "delete", "--yes", &id]).await;
    assert!(
        deleted
            .succeeded()
            .stdout
            .contains(&format!("Deleted gist {id}"))
    );
    setup
        .run(&["gists", "show", &id])
        .await
        .failed_with(&["there is no gist", &id]);
    let listed = setup.run(&["gists", "list"]).await;
    assert!(!listed.succeeded().ids().contains(&id));

    // Sign out: the file is gone and gists need a new sign-in.
    let logout = setup.run(&["logout"]).await;
    assert!(logout.succeeded().stdout.contains("Signed out octocat"));
    assert!(!setup.credentials().exists());
    setup
        .run(&["gists", "list"])
        .await
        .failed_with(&["not signed in", "gistdesk login"]);
}

#[tokio::test]
async fn not_signed_in_says_to_run_login() {
    let setup = Setup::new("anonymous").await;
    for args in [
        &["gists", "list"][..],
        &["gists", "show", "aa5a315d61ae9438b18d"],
    ] {
        setup
            .run(args)
            .await
            .failed_with(&["not signed in", "run `gistdesk login`"]);
    }
}

#[tokio::test]
async fn a_declined_device_code_is_a_clear_error() {
    let setup = Setup::new("declined").await;
    let mut running = Running::start(setup.command(&["login"]));
    let code = running.user_code().await;

    // Decline on the emulator's /login/device page, as a person would.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page_url = setup.emu.base_url().join("login/device").expect("URL");
    let page = browser
        .get(page_url.clone())
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("HTML");
    let csrf = page
        .split("name=\"authenticity_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an authenticity token in the page");
    let answer = browser
        .post(page_url)
        .form(&[
            ("authenticity_token", csrf),
            ("user_code", code.as_str()),
            ("login", "octocat"),
            ("authorize", "0"),
        ])
        .send()
        .await
        .expect("declined");
    assert!(answer.status().is_success(), "{}", answer.status());

    running
        .finish()
        .await
        .failed_with(&["declined on GitHub", "nothing was saved"]);
    assert!(!setup.credentials().exists());
}

#[tokio::test]
async fn an_expired_device_code_is_a_clear_error() {
    let setup = Setup::new("expired").await;
    let mut running = Running::start(setup.command(&["login"]));
    running.user_code().await;
    setup
        .emu
        .control()
        .advance_clock(Duration::from_secs(16 * 60));
    running
        .finish()
        .await
        .failed_with(&["code expired", "gistdesk login"]);
    assert!(!setup.credentials().exists());
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_cancels_the_sign_in() {
    let setup = Setup::new("ctrl-c").await;
    let mut running = Running::start(setup.command(&["login"]));
    running.user_code().await;
    let sent = std::process::Command::new("kill")
        .args(["-INT", &running.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    running
        .finish()
        .await
        .failed_with(&["sign-in cancelled", "nothing was saved"]);
    assert!(!setup.credentials().exists());
}

#[tokio::test]
async fn device_flow_disabled_and_missing_client_id_are_explained() {
    let mut app =
        OAuthAppSpec::oauth_app("Ov23liNoDeviceFlow01", "not-a-secret", "http://127.0.0.1/");
    app.device_flow = false;
    let setup = Setup::with("disabled", Emulator::builder().oauth_app(app)).await;
    setup
        .run(&["login", "--client-id", "Ov23liNoDeviceFlow01"])
        .await
        .failed_with(&["device flow is disabled", "Ov23liNoDeviceFlow01"]);

    let mut command = setup.command(&["login"]);
    command.env_remove("GITHUB_CLIENT_ID");
    Running::start(command)
        .finish()
        .await
        .failed_with(&["GITHUB_CLIENT_ID", "--client-id"]);
    assert!(!setup.credentials().exists());
}

#[tokio::test]
async fn a_revoked_token_says_to_sign_in_again() {
    let setup = Setup::new("revoked").await;
    setup.sign_in_octocat().await;
    let oauth = github_oauth::OAuthClient::new(
        github_oauth::Endpoints::new(&setup.emu.base_url(), &setup.emu.api_url()).expect("URLs"),
        github_oauth::ClientId::new(DEFAULT_CLIENT_ID),
        github_oauth::ClientSecret::new(DEFAULT_CLIENT_SECRET),
    )
    .expect("client");
    oauth
        .revoke_token(&github_oauth::AccessToken::new(setup.saved_token()))
        .await
        .expect("revoked");
    setup
        .run(&["gists", "list"])
        .await
        .failed_with(&["sign-in was revoked", "gistdesk login"]);
}

#[tokio::test]
async fn a_rate_limit_says_when_it_resets() {
    let setup = Setup::new("rate-limit").await;
    setup.sign_in_octocat().await;
    // Signing in used one request (`/user`); nothing is left after that.
    setup.emu.control().set_rate_limit(1);
    setup
        .run(&["gists", "list"])
        .await
        .failed_with(&["rate limit", "resets at", "UTC"]);
}

#[tokio::test]
async fn an_expiring_github_app_token_is_renewed() {
    // Tokens live 30 s, within the 60 s the command line renews ahead of expiry.
    let builder = Emulator::builder()
        .token_lifetimes(Duration::from_secs(30), Duration::from_secs(24 * 60 * 60));
    let setup = Setup::with("renewal", builder).await;
    let mut command = setup.command(&["login"]);
    command.env("GITHUB_CLIENT_ID", GITHUB_APP_CLIENT_ID);
    let login = setup.sign_in(command, "octocat").await;
    assert!(login.succeeded().stdout.contains("as octocat"));
    let first = setup.saved_token();
    assert!(first.starts_with("ghu_"));

    // This emulator, like GitHub's documentation, wants the client secret to renew.
    setup
        .run(&["gists", "list", "--limit", "1"])
        .await
        .failed_with(&["sign-in expired", "GITHUB_CLIENT_SECRET"]);
    assert_eq!(setup.saved_token(), first, "nothing changed");

    let mut command = setup.command(&["gists", "list", "--limit", "1"]);
    command.env("GITHUB_CLIENT_SECRET", GITHUB_APP_CLIENT_SECRET);
    let list = Running::start(command).finish().await;
    assert_eq!(list.succeeded().ids().len(), 1);
    let renewed = setup.saved_token();
    assert!(renewed.starts_with("ghu_"));
    assert_ne!(renewed, first, "the renewed token set was saved");
    assert_eq!(mode(&setup.credentials()), 0o600);
    assert!(!list.stdout.contains(&renewed) && !list.stderr.contains(&renewed));
}

/// `gistdesk serve` logs through a logging thread: a line shows while the server runs
/// (not only at exit), the lines of served requests follow, and the last line is
/// written before the process ends on SIGTERM. Piped, the log has no colour codes.
#[cfg(unix)]
#[tokio::test]
async fn serve_logs_while_running_and_to_the_last_line() {
    let setup = Setup::new("serve-logs").await;
    let mut command = setup.command(&["serve"]);
    // No OAuth app: serve with the built-in emulator.
    for name in ["GITHUB_CLIENT_ID", "GITHUB_URL", "GITHUB_API_URL"] {
        command.env_remove(name);
    }
    command.env("BIND", "127.0.0.1:0").env("RUST_LOG", "info");
    let mut running = Running::start(command);
    let serving = running.line_containing("gistdesk is serving").await;
    let addr = serving
        .split("addr=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the address in the line")
        .to_owned();
    let answer = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .expect("gistdesk answers");
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    let request_id = answer
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("a request id")
        .to_owned();
    let logged = running.line_containing("gistdesk::access: finished").await;
    assert!(logged.contains(&request_id), "{logged}");
    assert!(logged.contains("path=/healthz"), "{logged}");
    assert!(logged.contains("status=200"), "{logged}");

    let sent = std::process::Command::new("kill")
        .args(["-TERM", &running.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let finished = running.finish().await;
    finished.succeeded();
    assert!(
        finished.stderr.contains("gistdesk stopped"),
        "the last line is written before exit:\n{}",
        finished.stderr
    );
    assert!(
        !finished.stderr.contains('\u{1b}'),
        "no colour codes in a piped log:\n{}",
        finished.stderr
    );
}

/// `gistdesk serve` on the built-in emulator, started and stopped with SIGTERM; the
/// addresses of gistdesk and of its emulator.
#[cfg(unix)]
async fn serve_demo(setup: &Setup, emulator_port: u16) -> (Running, String, String) {
    let mut command = setup.command(&["serve"]);
    for name in ["GITHUB_CLIENT_ID", "GITHUB_URL", "GITHUB_API_URL"] {
        command.env_remove(name);
    }
    command
        .env("BIND", "127.0.0.1:0")
        .env("EMULATOR_PORT", emulator_port.to_string())
        .env("RUST_LOG", "info");
    let mut running = Running::start(command);
    let emulator = running
        .line_containing("GitHub is the built-in emulator at ")
        .await
        .split("emulator at ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("the emulator's address")
        .trim_end_matches('/')
        .to_owned();
    let serving = running.line_containing("gistdesk is serving").await;
    let addr = serving
        .split("addr=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the address in the line")
        .to_owned();
    (running, format!("http://{addr}"), emulator)
}

#[cfg(unix)]
async fn stop(running: Running) {
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &running.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    running.finish().await.succeeded();
}

/// The value of the hidden input `name` in a page.
fn hidden_value(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in:\n{page}"));
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').expect("the value ends")].to_owned()
}

/// The demo outlives a restart of `gistdesk serve`: the gist made before it is still
/// there, the browser signed in before it is still signed in, and the emulator answers on
/// the same port (its data is in DATA_DIR/emulator.json).
#[cfg(unix)]
#[tokio::test]
async fn serve_keeps_the_demo_across_a_restart() {
    let setup = Setup::new("serve-restart").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("a client");

    let (running, base, emulator) = serve_demo(&setup, port).await;
    assert_eq!(emulator, format!("http://127.0.0.1:{port}"));
    let consent = browser
        .get(format!("{base}/auth/github/login?next=/account"))
        .send()
        .await
        .expect("the sign-in starts")
        .text()
        .await
        .expect("the consent page");
    let signed_in = browser
        .post(format!("{emulator}/login/oauth/authorize"))
        .form(&[
            (
                "authenticity_token",
                hidden_value(&consent, "authenticity_token"),
            ),
            ("consent", hidden_value(&consent, "consent")),
            ("login", "octocat".to_owned()),
            ("authorize", "1".to_owned()),
        ])
        .send()
        .await
        .expect("the consent is given");
    assert_eq!(signed_in.url().path(), "/account");
    let account = signed_in.text().await.expect("the account page");
    assert!(account.contains("octocat"), "{account}");
    let form = browser
        .get(format!("{base}/gists/new"))
        .send()
        .await
        .expect("the form")
        .text()
        .await
        .expect("its page");
    let created = browser
        .post(format!("{base}/gists"))
        .multipart(
            reqwest::multipart::Form::new()
                .text("csrf_token", hidden_value(&form, "csrf_token"))
                .text("description", "made before the restart")
                .text("visibility", "secret")
                .text("file-0-name", "kept.md")
                .text("file-0-content", "still here\n"),
        )
        .send()
        .await
        .expect("the gist is created");
    let gist_page = created.url().clone();
    assert!(gist_page.path().starts_with("/gists/"), "{gist_page}");
    stop(running).await;
    assert!(setup.data.0.join("emulator.json").is_file());

    let (running, base_again, emulator_again) = serve_demo(&setup, port).await;
    assert_eq!(emulator_again, emulator, "the same port");
    let gist_path = gist_page.path();
    let page = browser
        .get(format!("{base_again}{gist_path}"))
        .send()
        .await
        .expect("gistdesk answers");
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let page = page.text().await.expect("the gist page");
    assert!(page.contains("made before the restart"), "{page}");
    assert!(page.contains("still here"), "{page}");
    // Signed in still: the person's own controls, no sign-in link.
    assert!(page.contains("/edit\">Edit</a>"), "{page}");
    stop(running).await;
}

/// `gistdesk ARGS` with no DATA_DIR: the sign-in lives in the per-user configuration
/// folder (`$XDG_CONFIG_HOME/gistdesk`), run from `cwd`.
fn per_user_command(setup: &Setup, home: &Path, cwd: &Path, args: &[&str]) -> Command {
    let mut command = setup.command(args);
    command
        .env_remove("DATA_DIR")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .current_dir(cwd);
    command
}

#[tokio::test]
async fn the_sign_in_is_per_user_whatever_the_current_folder() {
    let setup = Setup::new("per-user").await;
    let home = DataDir::new("home");
    let project = home.0.join("project");
    let sub = project.join("sub");
    std::fs::create_dir_all(&sub).expect("dirs");

    setup
        .sign_in(
            per_user_command(&setup, &home.0, &project, &["login"]),
            "octocat",
        )
        .await
        .succeeded();
    let kept = credentials_in(&home.0.join("config").join("gistdesk"), &setup.emu);
    assert!(kept.exists(), "{} exists", kept.display());
    assert_eq!(mode(&kept), 0o600);
    assert!(
        !project.join("data").exists(),
        "nothing in the current folder"
    );

    let list = Running::start(per_user_command(
        &setup,
        &home.0,
        &sub,
        &["gists", "list", "--limit", "1"],
    ))
    .finish()
    .await;
    assert_eq!(list.succeeded().ids().len(), 1);
}

#[tokio::test]
async fn an_older_credentials_file_is_moved_with_a_message() {
    let setup = Setup::new("migrate").await;
    setup.sign_in_octocat().await;
    let token = setup.saved_token();

    // The file as earlier versions kept it: ./data/credentials.json.
    let home = DataDir::new("migrate-home");
    let cwd = home.0.join("work");
    std::fs::create_dir_all(cwd.join("data")).expect("dirs");
    let legacy = cwd.join("data").join("credentials.json");
    std::fs::rename(setup.credentials(), &legacy).expect("moved aside");

    let list = Running::start(per_user_command(
        &setup,
        &home.0,
        &cwd,
        &["gists", "list", "--limit", "1"],
    ))
    .finish()
    .await;
    list.succeeded().never_shows(&token);
    assert!(
        list.stderr.contains("Moved your sign-in"),
        "{}",
        list.stderr
    );
    assert!(!legacy.exists(), "the older file is gone");
    let kept = credentials_in(&home.0.join("config").join("gistdesk"), &setup.emu);
    assert_eq!(saved_token(&kept), token);
    assert_eq!(mode(&kept), 0o600);

    // With DATA_DIR, DATA_DIR/credentials.json is the older file.
    std::fs::rename(&kept, setup.data.0.join("credentials.json")).expect("moved aside");
    let status = setup.run(&["auth", "status"]).await;
    assert!(status.succeeded().stderr.contains("Moved your sign-in"));
    assert_eq!(setup.saved_token(), token);
}

#[tokio::test]
async fn two_hosts_signed_in_at_once() {
    let first = Setup::new("two-hosts").await;
    let second = Emulator::builder()
        .device_flow_timing(Duration::from_secs(900), 1)
        .spawn()
        .await
        .expect("a second emulator");
    // Both keep their sign-in in the same folder.
    let on_second = |args: &[&str]| {
        let mut command = first.command(args);
        command
            .env("GITHUB_URL", second.base_url().as_str())
            .env("GITHUB_API_URL", second.api_url().as_str());
        command
    };
    first.sign_in_octocat().await;
    let mut running = Running::start(on_second(&["login"]));
    let code = running.user_code().await;
    assert!(second.control().approve_device(&code, "hubot"));
    running.finish().await.succeeded();
    assert!(first.credentials().exists());
    assert!(credentials_in(&first.data.0, &second).exists());

    let mut command = first.command(&["gists", "list"]);
    command.env_remove("GITHUB_URL");
    let ambiguous = Running::start(command).finish().await;
    ambiguous.failed_with(&[
        "more than one GitHub",
        "--hostname",
        &first.host(),
        &host_of(&second),
    ]);
    assert_eq!(ambiguous.code(), Some(2));

    let hubot_gist = second
        .control()
        .add_gist("hubot", Some("hubot's"), true, &[("h.txt", "h")])
        .expect("added");
    let mut command = first.command(&["gists", "list", "--hostname", &host_of(&second)]);
    command.env_remove("GITHUB_URL");
    let list = Running::start(command).finish().await;
    assert!(list.succeeded().ids().contains(&hubot_gist));
    let list = first.run(&["gists", "list"]).await;
    assert!(!list.succeeded().ids().contains(&hubot_gist));

    let mut command = first.command(&["auth", "status"]);
    command.env_remove("GITHUB_URL");
    let status = Running::start(command).finish().await;
    status.succeeded();
    for text in [
        &first.host(),
        &host_of(&second),
        "Signed in as octocat",
        "Signed in as hubot",
    ] {
        assert!(status.stdout.contains(text), "{text} in\n{}", status.stdout);
    }

    let mut command = first.command(&["logout", "--hostname", &host_of(&second)]);
    command.env_remove("GITHUB_URL");
    let logout = Running::start(command).finish().await;
    assert!(logout.succeeded().stdout.contains("Signed out hubot"));
    assert!(!credentials_in(&first.data.0, &second).exists());
    assert!(first.credentials().exists(), "the other sign-in stays");
}

#[tokio::test]
async fn auth_status_says_who_where_and_until_when_never_the_token() {
    let setup = Setup::new("status").await;
    let anonymous = setup.run(&["auth", "status"]).await;
    anonymous.failed_with(&["not signed in", "gistdesk login"]);
    assert_eq!(anonymous.code(), Some(4));

    setup.sign_in_octocat().await;
    let token = setup.saved_token();
    let status = setup.run(&["auth", "status"]).await;
    status.succeeded().never_shows(&token);
    for text in [
        setup.host().as_str(),
        "Signed in as octocat",
        "Scopes: gist, read:user",
        "Token: never expires",
        "GitHub accepts the token",
        &setup.credentials().display().to_string(),
    ] {
        assert!(status.stdout.contains(text), "{text} in\n{}", status.stdout);
    }

    let oauth = github_oauth::OAuthClient::new(
        github_oauth::Endpoints::new(&setup.emu.base_url(), &setup.emu.api_url()).expect("URLs"),
        github_oauth::ClientId::new(DEFAULT_CLIENT_ID),
        github_oauth::ClientSecret::new(DEFAULT_CLIENT_SECRET),
    )
    .expect("client");
    oauth
        .revoke_token(&github_oauth::AccessToken::new(token.clone()))
        .await
        .expect("revoked");
    let status = setup.run(&["auth", "status"]).await;
    status
        .failed_with(&["cannot be used", "gistdesk login"])
        .never_shows(&token);
    assert!(
        status.stdout.contains("no longer accepts"),
        "{}",
        status.stdout
    );
    assert_eq!(status.code(), Some(1));
    let list = setup.run(&["gists", "list"]).await;
    list.failed_with(&["revoked"]).never_shows(&token);
    assert_eq!(list.code(), Some(4));
}

#[tokio::test]
async fn logout_says_it_cannot_revoke_and_where_to() {
    let setup = Setup::new("logout").await;
    setup.sign_in_octocat().await;
    let token = setup.saved_token();
    let logout = setup.run(&["logout"]).await;
    logout.succeeded().never_shows(&token);
    assert!(
        logout.stdout.contains("Signed out octocat"),
        "{}",
        logout.stdout
    );
    for text in [
        "still accepts it",
        "no client secret",
        "settings/applications",
    ] {
        assert!(logout.stderr.contains(text), "{text} in\n{}", logout.stderr);
    }
    // GitHub indeed still accepts it.
    let client = github_api::Client::new(
        setup.emu.api_url(),
        github_api::AccessToken::new(token.clone()),
    )
    .expect("client");
    assert!(client.users().me().await.is_ok());

    // With the app's secret, the token is revoked on GitHub.
    setup.sign_in_octocat().await;
    let token = setup.saved_token();
    let mut command = setup.command(&["logout"]);
    command.env("GITHUB_CLIENT_SECRET", DEFAULT_CLIENT_SECRET);
    let logout = Running::start(command).finish().await;
    logout.succeeded().never_shows(DEFAULT_CLIENT_SECRET);
    assert!(logout.stdout.contains("token revoked"), "{}", logout.stdout);
    let client = github_api::Client::new(setup.emu.api_url(), github_api::AccessToken::new(token))
        .expect("client");
    assert!(matches!(
        client.users().me().await,
        Err(github_api::Error::Unauthorized)
    ));
    assert!(
        setup
            .run(&["logout"])
            .await
            .succeeded()
            .stdout
            .contains("Not signed in")
    );
}

/// A folder of files for `create` and `edit`.
fn files(name: &str, files: &[(&str, &str)]) -> DataDir {
    let dir = DataDir::new(name);
    std::fs::create_dir_all(&dir.0).expect("dir");
    for (name, content) in files {
        std::fs::write(dir.0.join(name), content).expect("file");
    }
    dir
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[tokio::test]
async fn create_from_standard_input() {
    let setup = Setup::new("stdin").await;
    setup.sign_in_octocat().await;

    let created = setup.run_with_stdin(&["gists", "create", "-"], "x\n").await;
    let id = created_id(created.succeeded());
    let files = setup.run(&["gists", "view", &id, "--files"]).await;
    assert_eq!(files.succeeded().stdout, "gistfile1.txt\n");
    let raw = setup.run(&["gists", "view", &id, "--raw"]).await;
    assert_eq!(raw.succeeded().stdout, "x\n");

    // Named, beside a file, with a description; and no file at all means stdin.
    let dir = files_dir(&[("a.rs", "fn a() {}\n")]);
    let a = dir.0.join("a.rs");
    let id = created_id(
        setup
            .run_with_stdin(
                &[
                    "gists",
                    "create",
                    "--filename",
                    "notes.md",
                    "--desc",
                    "two",
                    "--public",
                    path_str(&a),
                    "-",
                ],
                "# from a pipe\n",
            )
            .await
            .succeeded(),
    );
    let view = setup.run(&["gists", "view", &id]).await;
    for text in [
        "two  (public",
        "==> a.rs <==",
        "==> notes.md <==\n# from a pipe\n",
    ] {
        assert!(
            view.succeeded().stdout.contains(text),
            "{text:?} in\n{}",
            view.stdout
        );
    }
    let id = created_id(
        setup
            .run_with_stdin(&["gists", "create", "-f", "only.txt"], "only\n")
            .await
            .succeeded(),
    );
    let raw = setup
        .run(&["gists", "view", &id, "--filename", "only.txt", "--raw"])
        .await;
    assert_eq!(raw.succeeded().stdout, "only\n");

    // Empty input and a doubled - are refused before anything is sent.
    let empty = setup.run_with_stdin(&["gists", "create", "-"], "").await;
    empty.failed_with(&["standard input is empty"]);
    let twice = setup.run(&["gists", "create", "-", "-"]).await;
    twice.failed_with(&["read once"]);
    assert_eq!(twice.code(), Some(2));
}

fn files_dir(entries: &[(&str, &str)]) -> DataDir {
    files("files", entries)
}

#[tokio::test]
async fn every_command_takes_a_gist_url() {
    let setup = Setup::new("urls").await;
    setup.sign_in_octocat().await;
    let created = setup
        .run_with_stdin(&["gists", "create", "-f", "u.txt"], "u\n")
        .await;
    let id = created_id(created.succeeded());
    let page = created
        .stdout
        .lines()
        .nth(1)
        .expect("the gist's page")
        .to_owned();
    assert!(page.contains(&format!("/gist/octocat/{id}")), "{page}");
    for reference in [
        page.clone(),
        format!("{page}#file-u-txt"),
        format!("http://127.0.0.1:3000/gists/{id}"),
        format!("https://gist.github.com/octocat/{id}"),
        format!("{}gists/{id}", setup.emu.api_url()),
    ] {
        let raw = setup.run(&["gists", "view", "--raw", &reference]).await;
        assert_eq!(raw.succeeded().stdout, "u\n", "{reference}");
    }
    let starred = setup.run(&["gists", "star", &page]).await;
    assert!(
        starred
            .succeeded()
            .stdout
            .contains(&format!("Starred gist {id}"))
    );
    let list = setup.run(&["gists", "list", "--starred"]).await;
    assert!(list.succeeded().ids().contains(&id));
    setup.run(&["gists", "unstar", &page]).await.succeeded();
    let list = setup.run(&["gists", "list", "--starred"]).await;
    assert!(!list.ids().contains(&id));

    let edited = setup
        .run(&[
            "gists",
            "edit",
            &format!("http://127.0.0.1:3000/gists/{id}/edit"),
            "--desc",
            "via URL",
        ])
        .await;
    edited.succeeded();
    let view = setup.run(&["gists", "view", &page]).await;
    assert!(
        view.succeeded().stdout.starts_with("via URL  (secret"),
        "{}",
        view.stdout
    );

    let bad = setup
        .run(&["gists", "view", "https://example.com/nothing"])
        .await;
    bad.failed_with(&["neither a gist id nor a gist URL"]);
    assert_eq!(bad.code(), Some(2));
    setup
        .run(&["gists", "delete", "--yes", &page])
        .await
        .succeeded();
    let gone = setup.run(&["gists", "view", &id]).await;
    gone.failed_with(&["there is no gist", &id]);
    assert_eq!(gone.code(), Some(1));
}

#[tokio::test]
async fn view_flags() {
    let setup = Setup::new("view").await;
    setup.sign_in_octocat().await;
    let dir = files_dir(&[("a.md", "# A\n"), ("b.txt", "no newline")]);
    let id = setup
        .create(&[
            "-d",
            "pair",
            path_str(&dir.0.join("a.md")),
            path_str(&dir.0.join("b.txt")),
        ])
        .await;

    let files = setup.run(&["gists", "view", &id, "--files"]).await;
    assert_eq!(files.succeeded().stdout, "a.md\nb.txt\n");
    // (Output is read line by line, so the last line's missing newline is not seen.)
    let raw = setup.run(&["gists", "view", &id, "--raw"]).await;
    assert_eq!(raw.succeeded().stdout, "# A\nno newline\n");
    let one = setup
        .run(&["gists", "view", &id, "--filename", "b.txt"])
        .await;
    assert!(
        one.succeeded()
            .stdout
            .contains("==> b.txt <==\nno newline\n")
    );
    assert!(!one.stdout.contains("a.md"), "{}", one.stdout);
    let missing = setup.run(&["gists", "view", &id, "--filename", "c"]).await;
    missing.failed_with(&["no file \"c\"", "a.md, b.txt"]);

    // --web with no browser prints the page's address; with BROWSER it opens it.
    let web = setup.run(&["gists", "view", &id, "--web"]).await;
    assert!(
        web.succeeded()
            .stdout
            .contains(&format!("/gist/octocat/{id}")),
        "{}",
        web.stdout
    );
    assert!(web.stderr.contains("No browser"), "{}", web.stderr);
    #[cfg(unix)]
    {
        let opened = dir.0.join("opened");
        let script = dir.0.join("browser.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", opened.display()),
        )
        .expect("script");
        let made = std::process::Command::new("chmod")
            .args(["+x", path_str(&script)])
            .status()
            .expect("chmod");
        assert!(made.success());
        let mut command = setup.command(&["gists", "view", &id, "--web"]);
        command.env("BROWSER", &script);
        let web = Running::start(command).finish().await;
        assert!(web.succeeded().stderr.contains("Opening"), "{}", web.stderr);
        let url = std::fs::read_to_string(&opened).expect("the browser was started");
        assert!(url.ends_with(&format!("/gist/octocat/{id}")), "{url}");
        assert!(!web.stdout.contains(&id), "{}", web.stdout);
    }
}

#[tokio::test]
async fn edit_adds_replaces_removes_and_renames() {
    let setup = Setup::new("edit").await;
    setup.sign_in_octocat().await;
    let dir = files_dir(&[
        ("a.md", "# A\n"),
        ("b.txt", "b\n"),
        ("c.rs", "fn c() {}\n"),
        ("new-a.md", "# A, again\n"),
    ]);
    let file = |name: &str| dir.0.join(name).to_str().expect("UTF-8").to_owned();
    let id = setup.create(&[&file("a.md"), &file("b.txt")]).await;

    let edited = setup
        .run(&[
            "gists",
            "edit",
            &id,
            "--add",
            &file("c.rs"),
            "--filename",
            "a.md",
            &file("new-a.md"),
            "--rename",
            "b.txt",
            "bee.txt",
            "--desc",
            "edited",
        ])
        .await;
    assert!(
        edited
            .succeeded()
            .stdout
            .contains(&format!("Edited gist {id}")),
        "{}",
        edited.stdout
    );
    let files = setup.run(&["gists", "view", &id, "--files"]).await;
    assert_eq!(files.succeeded().stdout, "a.md\nbee.txt\nc.rs\n");
    let a = setup
        .run(&["gists", "view", &id, "-f", "a.md", "--raw"])
        .await;
    assert_eq!(a.succeeded().stdout, "# A, again\n");

    // Replace from standard input, then remove.
    setup
        .run_with_stdin(
            &["gists", "edit", &id, "--filename", "c.rs", "-"],
            "fn piped() {}\n",
        )
        .await
        .succeeded();
    let c = setup
        .run(&["gists", "view", &id, "-f", "c.rs", "--raw"])
        .await;
    assert_eq!(c.succeeded().stdout, "fn piped() {}\n");
    setup
        .run(&["gists", "edit", &id, "--remove", "bee.txt"])
        .await
        .succeeded();
    let files = setup.run(&["gists", "view", &id, "--files"]).await;
    assert_eq!(files.succeeded().stdout, "a.md\nc.rs\n");
    setup
        .run(&["gists", "rename", &id, "c.rs", "see.rs"])
        .await
        .succeeded();
    let files = setup.run(&["gists", "view", &id, "--files"]).await;
    assert_eq!(files.succeeded().stdout, "a.md\nsee.rs\n");
    setup
        .run(&["gists", "rename", &id, "see.rs", "c.rs"])
        .await
        .succeeded();
    let files = setup.run(&["gists", "view", &id, "--files"]).await;
    assert_eq!(files.succeeded().stdout, "a.md\nc.rs\n");

    // Mistakes are explained, and nothing is sent.
    let nothing = setup.run(&["gists", "edit", &id]).await;
    nothing.failed_with(&["nothing to change", "--add"]);
    assert_eq!(nothing.code(), Some(2));
    setup
        .run(&["gists", "edit", &id, "--remove", "zzz"])
        .await
        .failed_with(&["no file \"zzz\"", "a.md, c.rs"]);
    setup
        .run(&["gists", "edit", &id, "--add", &file("a.md")])
        .await
        .failed_with(&["already has a file a.md", "--filename"]);
    setup
        .run(&["gists", "edit", &id, "--remove", "a.md", "--remove", "c.rs"])
        .await
        .failed_with(&["every file", "gists delete"]);
    setup
        .run(&["gists", "edit", &id, &file("b.txt")])
        .await
        .failed_with(&["choose one with --filename"]);
    let files = setup.run(&["gists", "view", &id, "--files"]).await;
    assert_eq!(files.succeeded().stdout, "a.md\nc.rs\n");
}

#[tokio::test]
async fn delete_asks_or_needs_yes() {
    let setup = Setup::new("delete").await;
    setup.sign_in_octocat().await;
    let dir = files_dir(&[("d.txt", "d\n")]);
    let d = dir.0.join("d.txt");
    let first = setup.create(&[path_str(&d)]).await;
    let second = setup.create(&[path_str(&d)]).await;

    // Standard input is not a terminal (here: /dev/null): refused, nothing deleted.
    let refused = setup.run(&["gists", "delete", &first]).await;
    refused.failed_with(&["refusing to delete", "--yes"]);
    assert_eq!(refused.code(), Some(2));
    let piped = setup
        .run_with_stdin(&["gists", "delete", &first], "y\n")
        .await;
    piped.failed_with(&["refusing to delete"]);
    let ids = setup.run(&["gists", "list"]).await.ids();
    assert!(ids.contains(&first) && ids.contains(&second));

    let deleted = setup.run(&["gists", "delete", "-y", &first, &second]).await;
    deleted.succeeded();
    for id in [&first, &second] {
        assert!(
            deleted.stdout.contains(&format!("Deleted gist {id}")),
            "{}",
            deleted.stdout
        );
    }
    let ids = setup.run(&["gists", "list"]).await.ids();
    assert!(!ids.contains(&first) && !ids.contains(&second));
    let again = setup.run(&["gists", "delete", "--yes", &first]).await;
    again.failed_with(&["there is no gist"]);
    assert_eq!(again.code(), Some(1));
}

#[tokio::test]
async fn list_filters_and_exit_codes() {
    let setup = Setup::new("list").await;
    setup.sign_in_octocat().await;
    let control = setup.emu.control();
    let public = control
        .add_gist("octocat", Some("Shopping ZEBRA"), true, &[("s.md", "eggs")])
        .expect("added");
    let secret = control
        .add_gist("octocat", Some("diary"), false, &[("zebra.txt", "x")])
        .expect("added");

    let public_only = setup.run(&["gists", "list", "--public"]).await.ids();
    assert!(public_only.contains(&public) && !public_only.contains(&secret));
    let secret_only = setup.run(&["gists", "list", "--secret"]).await.ids();
    assert!(secret_only.contains(&secret) && !secret_only.contains(&public));
    // The filter looks at descriptions and file names, in any case.
    let filtered = setup.run(&["gists", "list", "--filter", "zebra"]).await;
    assert_eq!(
        filtered.succeeded().ids(),
        [secret.as_str(), public.as_str()]
    );
    let one = setup
        .run(&["gists", "list", "--filter", "Zebra", "--limit", "1"])
        .await;
    assert_eq!(one.succeeded().ids(), [secret.as_str()]);
    let none = setup
        .run(&["gists", "list", "--filter", "no such thing"])
        .await;
    assert!(none.succeeded().stdout.is_empty());
    assert!(none.stderr.contains("No gists match"), "{}", none.stderr);

    // Usage: 2 (clap's own errors too); not signed in: 4.
    let both = setup.run(&["gists", "list", "--public", "--secret"]).await;
    assert_eq!(both.code(), Some(2), "{}", both.stderr);
    assert_eq!(setup.run(&["gists", "frobnicate"]).await.code(), Some(2));
    std::fs::remove_file(setup.credentials()).expect("signed out");
    let anonymous = setup.run(&["gists", "list"]).await;
    anonymous.failed_with(&["not signed in"]);
    assert_eq!(anonymous.code(), Some(4));
}

#[tokio::test]
async fn json_fields_and_jq_filters() {
    let setup = Setup::new("json").await;
    setup.sign_in_octocat().await;
    let dir = files_dir(&[("j.md", "# J\n")]);
    let id = setup
        .create(&[
            "--desc",
            "json \"quoted\"",
            "--public",
            path_str(&dir.0.join("j.md")),
        ])
        .await;

    let list = setup
        .run(&[
            "gists",
            "list",
            "--limit",
            "1",
            "--json",
            "id,description,public,files",
        ])
        .await;
    let value: serde_json::Value =
        serde_json::from_str(&list.succeeded().stdout).expect("JSON on stdout");
    assert_eq!(
        value,
        serde_json::json!([{
            "id": id,
            "description": "json \"quoted\"",
            "public": true,
            "files": [{"filename": "j.md", "language": "Markdown", "size": 4}],
        }])
    );
    assert_eq!(list.stdout.lines().count(), 1, "one line when piped");

    // --jq: strings print as text, other values as JSON.
    let ids = setup
        .run(&[
            "gists",
            "list",
            "--json",
            "id,public",
            "--jq",
            ".[] | select(.public) | .id",
        ])
        .await;
    assert_eq!(ids.succeeded().stdout.lines().next(), Some(id.as_str()));
    let count = setup
        .run(&["gists", "list", "--json", "id", "--jq", "length > 0"])
        .await;
    assert_eq!(count.succeeded().stdout, "true\n");

    let view = setup
        .run(&[
            "gists",
            "view",
            &id,
            "--json",
            "files,owner,url",
            "--jq",
            "[.owner, .files[0].content, (.url | test(\"/gist/\"))]",
        ])
        .await;
    let value: serde_json::Value =
        serde_json::from_str(&view.succeeded().stdout).expect("JSON on stdout");
    assert_eq!(value, serde_json::json!(["octocat", "# J\n", true]));

    // Mistakes are usage errors, found before GitHub is asked.
    let fields = setup.run(&["gists", "list", "--json"]).await;
    fields.failed_with(&[
        "the fields are: id, description, public, files, createdAt, updatedAt, url, owner",
    ]);
    assert_eq!(fields.code(), Some(2));
    let unknown = setup.run(&["gists", "view", &id, "--json", "nope"]).await;
    unknown.failed_with(&["unknown field \"nope\""]);
    assert_eq!(unknown.code(), Some(2));
    let bad = setup
        .run(&["gists", "list", "--json", "id", "--jq", ".[] |"])
        .await;
    bad.failed_with(&["is not a jq expression"]);
    assert_eq!(bad.code(), Some(2));
    let alone = setup.run(&["gists", "list", "--jq", ".[]"]).await;
    assert_eq!(alone.code(), Some(2), "{}", alone.stderr);
    let runtime = setup
        .run(&["gists", "list", "--json", "id", "--jq", "error(\"boom\")"])
        .await;
    runtime.failed_with(&["--jq", "boom"]);
    assert_eq!(runtime.code(), Some(1));
}

#[tokio::test]
async fn completions_and_manual_pages() {
    let setup = Setup::new("completions").await;
    for (shell, marker) in [
        ("bash", "_gistdesk()"),
        ("zsh", "#compdef gistdesk"),
        ("fish", "complete -c gistdesk"),
    ] {
        let script = setup.run(&["completions", shell]).await;
        assert!(script.succeeded().stdout.contains(marker), "{shell}");
        for word in ["gists", "view", "jq", "yes"] {
            assert!(script.stdout.contains(word), "{word} in the {shell} script");
        }
    }
    let page = setup.run(&["man"]).await;
    assert!(
        page.succeeded().stdout.starts_with(".ie"),
        "{}",
        &page.stdout[..40]
    );
    for text in [".TH gistdesk 1", "Exit status: 0 done", "NO_COLOR"] {
        assert!(page.stdout.contains(text), "{text} in the page");
    }
    let dir = DataDir::new("man");
    let wrote = setup.run(&["man", "--dir", path_str(&dir.0)]).await;
    wrote.succeeded();
    for name in [
        "gistdesk.1",
        "gistdesk-gists-view.1",
        "gistdesk-auth-status.1",
    ] {
        let text = std::fs::read_to_string(dir.0.join(name)).expect("a page");
        assert!(text.contains(".TH"), "{name}");
    }
    assert_eq!(setup.run(&["completions", "tcsh"]).await.code(), Some(2));
}

/// Octocat's rate-limit units used so far.
async fn units_used(emu: &Emulator) -> u64 {
    units::units_used(emu, "octocat").await
}

#[tokio::test]
async fn search_finds_lines_in_secret_gists_and_costs_nothing_when_unchanged() {
    let setup = Setup::new("search").await;
    setup.sign_in_octocat().await;
    let control = setup.emu.control();
    let secret = control
        .add_gist(
            "octocat",
            Some("build notes"),
            false,
            &[
                (
                    "Cargo.toml",
                    "[package]\nname = \"demo\"\n\n[dependencies]\ntokio = \"1\"\n",
                ),
                ("notes.md", "nothing to see"),
            ],
        )
        .expect("added");
    let public = control
        .add_gist(
            "octocat",
            Some("py"),
            true,
            &[("tokio.py", "print('no runtime')\n")],
        )
        .expect("added");

    let before = units_used(&setup.emu).await;
    let found = setup.run(&["gists", "search", "tokio"]).await;
    found.succeeded();
    let first_build = units_used(&setup.emu).await - before;
    // ID<TAB>FILE<TAB>LINE<TAB>text when piped; the file name matched too.
    assert!(
        found
            .stdout
            .lines()
            .any(|l| l == format!("{secret}\tCargo.toml\t5\ttokio = \"1\"")),
        "{}",
        found.stdout
    );
    assert!(
        found.stdout.contains(&format!("{public}\ttokio.py\t\t")),
        "{}",
        found.stdout
    );
    // The lists are a page each; the files' text is not an API call.
    assert!(first_build <= 3, "the first build cost {first_build} units");

    let qualified = setup
        .run(&[
            "gists",
            "search",
            "tokio",
            "filename:Cargo.toml",
            "is:secret",
        ])
        .await;
    let ids: Vec<&str> = qualified
        .succeeded()
        .stdout
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert_eq!(ids, [secret.as_str()]);

    // Unchanged: every later search refreshes for 0 units.
    let before = units_used(&setup.emu).await;
    setup
        .run(&["gists", "search", "dependencies"])
        .await
        .succeeded();
    setup.run(&["gists", "search", "runtime"]).await.succeeded();
    assert_eq!(
        units_used(&setup.emu).await,
        before,
        "0 units when nothing changed"
    );

    // A gist added on GitHub is found by the next search, for the list page it changed.
    let added = control
        .add_gist("octocat", None, false, &[("new.txt", "fresh words")])
        .expect("added");
    let before = units_used(&setup.emu).await;
    let fresh = setup.run(&["gists", "search", "\"fresh words\""]).await;
    assert!(
        fresh
            .succeeded()
            .stdout
            .contains(&format!("{added}\tnew.txt\t1\tfresh words")),
        "{}",
        fresh.stdout
    );
    let spent = units_used(&setup.emu).await - before;
    assert!(
        (1..=2).contains(&spent),
        "{spent} units: one per changed list page"
    );

    let json = setup
        .run(&[
            "gists",
            "search",
            "demo",
            "--json",
            "id,file,lines",
            "--jq",
            ".[0].lines[0].number",
        ])
        .await;
    assert_eq!(json.succeeded().stdout.trim(), "2");
    setup
        .run(&["gists", "search", "is:everything"])
        .await
        .failed_with(&["is: takes public, secret, starred or fork"]);
}

#[tokio::test]
async fn history_view_at_a_revision_and_fork() {
    let setup = Setup::new("history").await;
    setup.sign_in_octocat().await;
    let created = setup
        .run_with_stdin(&["gists", "create", "-f", "notes.md", "-"], "first\n")
        .await;
    let id = created_id(created.succeeded());
    setup
        .run_with_stdin(
            &["gists", "edit", &id, "--filename", "notes.md", "-"],
            "second\nmore\n",
        )
        .await
        .succeeded();

    // Piped: VERSION, login, +added, -removed, time; newest first.
    let history = setup.run(&["gists", "history", &id]).await;
    let lines: Vec<Vec<&str>> = history
        .succeeded()
        .stdout
        .lines()
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(lines.len(), 2, "{}", history.stdout);
    assert_eq!(lines[0][1..4], ["octocat", "+2", "-1"]);
    assert_eq!(lines[1][1..4], ["octocat", "+1", "-0"]);
    let oldest = lines[1][0].to_owned();
    assert_eq!(oldest.len(), 40);
    let newest = setup.run(&["gists", "history", &id, "-L", "1"]).await;
    assert_eq!(newest.succeeded().stdout.lines().count(), 1);
    let json = setup
        .run(&[
            "gists",
            "history",
            &id,
            "--json",
            "version,additions",
            "--jq",
            ".[1].version",
        ])
        .await;
    assert_eq!(json.succeeded().stdout.trim(), oldest);

    // The files as they were, and as they are.
    let then = setup
        .run(&["gists", "view", &id, "--rev", &oldest, "--raw"])
        .await;
    assert_eq!(then.succeeded().stdout, "first\n");
    let now = setup.run(&["gists", "view", &id, "--raw"]).await;
    assert_eq!(now.succeeded().stdout, "second\nmore\n");
    let not_a_rev = setup
        .run(&["gists", "view", &id, "--rev", "yesterday"])
        .await;
    not_a_rev.failed_with(&["not a revision id"]);
    assert_eq!(not_a_rev.code(), Some(2));
    let unknown = setup
        .run(&["gists", "view", &id, "--rev", &"0".repeat(40)])
        .await;
    unknown.failed_with(&["has no revision", "gists history"]);
    assert_eq!(unknown.code(), Some(1));

    // Forking one's own gist is refused, with GitHub's reason; someone else's works.
    let own = setup.run(&["gists", "fork", &id]).await;
    own.failed_with(&["You cannot fork your own gist"]);
    assert_eq!(own.code(), Some(1));
    let hubot = github_api::Client::new(
        setup.emu.api_url(),
        github_api::AccessToken::new(setup.emu.issue_token("hubot", &["gist"])),
    )
    .expect("client");
    let theirs = hubot
        .gists()
        .create(&github_api::NewGist::new(true).file("h.txt", "hubot's\n"))
        .await
        .expect("created")
        .id;
    let forked = setup.run(&["gists", "fork", theirs.as_str()]).await;
    let fork_id = forked
        .succeeded()
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("Forked gist {theirs} as ")))
        .expect("the fork's id")
        .to_owned();
    let fork = hubot
        .gists()
        .get(&github_api::GistId::parse(&fork_id).expect("an id"))
        .await
        .expect("the fork");
    assert_eq!(fork.fork_of.map(|p| p.id), Some(theirs.clone()));
    assert_eq!(fork.owner.map(|o| o.login).as_deref(), Some("octocat"));
    let missing = setup.run(&["gists", "history", &"f".repeat(32)]).await;
    missing.failed_with(&["no gist", "octocat"]);
}
