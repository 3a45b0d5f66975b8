//! The command line's sign-in, kept in `DATA_DIR/credentials.json`.
//!
//! The file is created with mode 0600 (its directory, when created here, 0700) and
//! replaced atomically (written next to it, then renamed), so a crash never leaves
//! half a token set and the token is never readable by others, not even briefly.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use github_oauth::TokenSet;
use serde::{Deserialize, Serialize};
use url::Url;

use super::CliError;

/// The file name inside the data directory.
pub const FILE_NAME: &str = "credentials.json";

/// A signed-in person, the GitHub and app they signed in with, and their tokens.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Credentials {
    /// GitHub's web and OAuth base, e.g. `https://github.com/`.
    pub github_url: Url,
    /// GitHub's REST base, e.g. `https://api.github.com/`.
    pub api_url: Url,
    /// The app's client id (needed to renew an expiring token).
    pub client_id: String,
    /// The person's numeric id.
    pub user_id: u64,
    /// The person's login at sign-in.
    pub login: String,
    /// The tokens (they print as `[redacted]`).
    pub tokens: TokenSet,
}

/// `DATA_DIR/credentials.json`.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// Reads the credentials; `Ok(None)` when there are none.
pub fn load(path: &Path) -> Result<Option<Credentials>, CliError> {
    let cannot_read = |e| CliError::io(format!("cannot read {}", path.display()), e);
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot_read(e)),
    };
    warn_if_shared(path, &file);
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut file, &mut bytes).map_err(cannot_read)?;
    // serde_json's messages may quote the offending value, which could be a token:
    // only its position is shown.
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        CliError::Message(format!(
            "{} is not a gistdesk credentials file (line {}, column {}): delete it and run `gistdesk login`",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

/// Writes the credentials with mode 0600, replacing any previous file atomically.
pub fn save(path: &Path, credentials: &Credentials) -> Result<(), CliError> {
    let context = || format!("cannot save the sign-in to {}", path.display());
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    create_private_dir(dir).map_err(|e| CliError::io(context(), e))?;
    let json = serde_json::to_vec_pretty(credentials)
        .map_err(|e| CliError::io(context(), io::Error::other(e)))?;
    let temp = dir.join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
    let written = write_private(&temp, &json).and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(CliError::io(context(), e));
    }
    Ok(())
}

/// Deletes the credentials; `Ok(false)` if there were none.
pub fn delete(path: &Path) -> Result<bool, CliError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(CliError::io(format!("cannot delete {}", path.display()), e)),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = match options.open(path) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            // A leftover of a crashed run of this process id.
            std::fs::remove_file(path)?;
            options.open(path)?
        }
        other => other?,
    };
    #[cfg(unix)]
    {
        // The umask can only remove bits; make it exactly 0600 whatever it is.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn warn_if_shared(path: &Path, file: &std::fs::File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = file.metadata()
            && meta.permissions().mode() & 0o077 != 0
        {
            eprintln!(
                "warning: {} can be read by other users; run `chmod 600 {}`",
                path.display(),
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, file);
}

#[cfg(test)]
mod tests {
    use super::*;
    use github_oauth::{AccessToken, Scopes};

    fn sample() -> Credentials {
        Credentials {
            github_url: Url::parse("https://github.com/").expect("url"),
            api_url: Url::parse("https://api.github.com/").expect("url"),
            client_id: "Ov23liEXAMPLE".to_owned(),
            user_id: 583231,
            login: "octocat".to_owned(),
            tokens: TokenSet {
                access_token: AccessToken::new("gho_sample_token"),
                token_type: "bearer".to_owned(),
                scopes: Scopes::parse("gist"),
                expires_at: None,
                refresh_token: None,
                refresh_token_expires_at: None,
            },
        }
    }

    #[test]
    fn round_trip_private_and_atomic() {
        let dir = std::env::temp_dir().join(format!(
            "gistdesk-credentials-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let file = path(&dir.join("nested"));
        assert!(load(&file).expect("no file is fine").is_none());
        save(&file, &sample()).expect("saved");
        save(&file, &sample()).expect("replaced");
        let loaded = load(&file).expect("readable").expect("present");
        assert_eq!(loaded.login, "octocat");
        assert_eq!(loaded.tokens.access_token.secret(), "gho_sample_token");
        assert!(!format!("{loaded:?}").contains("gho_sample_token"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers = std::fs::read_dir(dir.join("nested")).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
        assert!(delete(&file).expect("deleted"));
        assert!(!delete(&file).expect("already gone"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_damaged_file_does_not_echo_its_content() {
        let dir = std::env::temp_dir().join(format!("gistdesk-damaged-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = path(&dir);
        std::fs::write(&file, br#"{"tokens": "gho_do_not_echo"}"#).expect("written");
        let err = load(&file).expect_err("not credentials").to_string();
        assert!(!err.contains("gho_do_not_echo"), "{err}");
        assert!(err.contains("gistdesk login"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
