//! The command line under a pseudo-terminal, as a person sees it: `delete` asks and
//! takes no for an answer; a list is coloured there, and not with NO_COLOR.

use rexpect::process::WaitStatus;
use rexpect::session::PtySession;

use super::{Setup, files_dir, path_str};

/// `gistdesk ARGS` for a pseudo-terminal, with `extra` variables.
fn command(setup: &Setup, args: &[&str], extra: &[(&str, &str)]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gistdesk"));
    command.env_clear().args(args).envs(setup.env());
    for (name, value) in extra {
        command.env(name, value);
    }
    command
}

/// Runs `command` in a pseudo-terminal, lets `talk` drive it, reads to the end; the
/// exit code and everything shown after `talk`.
async fn in_pty(
    command: std::process::Command,
    talk: impl FnOnce(&mut PtySession) -> Result<(), rexpect::error::Error> + Send + 'static,
) -> (i32, String) {
    let wait = u64::try_from(super::WAIT.as_millis()).expect("a small number");
    tokio::task::spawn_blocking(move || {
        let mut session = rexpect::session::spawn_command(command, Some(wait)).expect("a pty");
        talk(&mut session).expect("the expected exchange");
        let rest = session.exp_eof().expect("the end of the output");
        let code = match session.process().wait().expect("an exit status") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("gistdesk did not exit normally: {other:?}"),
        };
        (code, rest)
    })
    .await
    .expect("the pty task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_asks_on_a_terminal_and_colours_show_there() {
    let setup = Setup::new("pty").await;
    setup.sign_in_octocat().await;
    let dir = files_dir(&[("p.txt", "p\n")]);
    let id = setup
        .create(&["-d", "pty gist", path_str(&dir.0.join("p.txt"))])
        .await;

    // No: nothing is deleted, and the exit says so.
    let (code, rest) = in_pty(command(&setup, &["gists", "delete", &id], &[]), |s| {
        s.exp_string("pty gist (1 file, secret)")?;
        s.exp_string("Delete this gist? It cannot be undone. [y/N]")?;
        s.send_line("n")?;
        Ok(())
    })
    .await;
    assert_eq!(code, 1, "{rest}");
    assert!(rest.contains("nothing was deleted"), "{rest}");
    assert!(setup.run(&["gists", "list"]).await.ids().contains(&id));

    // Colour on a terminal: ids cyan, secret red, times relative.
    let (code, shown) = in_pty(command(&setup, &["gists", "list", "-L", "3"], &[]), |_| {
        Ok(())
    })
    .await;
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains(&format!("\u{1b}[36m{id}\u{1b}[0m")),
        "{shown:?}"
    );
    assert!(shown.contains("\u{1b}[31msecret\u{1b}[0m"), "{shown:?}");
    assert!(shown.contains("just now"), "{shown:?}");
    // NO_COLOR: the same columns without colour codes.
    let (code, plain) = in_pty(
        command(&setup, &["gists", "list", "-L", "3"], &[("NO_COLOR", "1")]),
        |_| Ok(()),
    )
    .await;
    assert_eq!(code, 0, "{plain}");
    assert!(
        plain.contains(&id) && plain.contains("just now"),
        "{plain:?}"
    );
    for sgr in [
        "\u{1b}[36m",
        "\u{1b}[31m",
        "\u{1b}[32m",
        "\u{1b}[2m",
        "\u{1b}[1m",
    ] {
        assert!(!plain.contains(sgr), "{sgr:?} in {plain:?}");
    }

    // Yes: deleted.
    let (code, rest) = in_pty(command(&setup, &["gists", "delete", &id], &[]), |s| {
        s.exp_string("[y/N]")?;
        s.send_line("y")?;
        Ok(())
    })
    .await;
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains(&format!("Deleted gist {id}")), "{rest}");
    assert!(!setup.run(&["gists", "list"]).await.ids().contains(&id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_on_a_terminal_is_aligned_coloured_and_relative() {
    let setup = Setup::new("pty-history").await;
    setup.sign_in_octocat().await;
    let dir = files_dir(&[("h.txt", "one\ntwo\n")]);
    let id = setup.create(&[path_str(&dir.0.join("h.txt"))]).await;
    let version = setup
        .run(&["gists", "history", &id])
        .await
        .stdout
        .split('\t')
        .next()
        .expect("a revision")
        .to_owned();

    let (code, shown) = in_pty(command(&setup, &["gists", "history", &id], &[]), |_| Ok(())).await;
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains(&format!("\u{1b}[36m{version}\u{1b}[0m")),
        "{shown:?}"
    );
    assert!(shown.contains("\u{1b}[32m+2\u{1b}[0m"), "{shown:?}");
    assert!(
        shown.contains("octocat") && shown.contains("just now"),
        "{shown:?}"
    );
    assert!(!shown.contains('\t'), "columns, not tabs: {shown:?}");
}
