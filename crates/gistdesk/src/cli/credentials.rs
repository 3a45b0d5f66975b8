//! The command line's sign-ins: one file per GitHub host (`hosts/github.com.json`) in
//! the per-user configuration folder (`$XDG_CONFIG_HOME/gistdesk` on Linux), or in
//! `DATA_DIR` when that is set, so every folder of a person's shell sees the same one.
//!
//! A file is created with mode 0600 (its folders, when created here, 0700) and replaced
//! atomically (written next to it, then renamed): a crash never leaves half a token set
//! and the token is never readable by others, not even briefly. Nothing here prints a
//! token.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use github_oauth::TokenSet;
use serde::{Deserialize, Serialize};
use url::Url;

use super::CliError;

/// The file name of the single sign-in kept before sign-ins were per host.
pub const LEGACY_FILE_NAME: &str = "credentials.json";
/// The folder, inside the store's, holding one file per host.
const HOSTS_DIR: &str = "hosts";

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

impl Credentials {
    /// The GitHub host these credentials are for.
    pub fn host(&self) -> Host {
        Host::of(&self.github_url)
    }
}

/// A GitHub host as sign-ins are kept by: `github.com`, `ghe.example`, `127.0.0.1:8080`
/// (the port only when it is not the scheme's default).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Host(String);

impl Host {
    /// The host of a GitHub web, API or gist URL; github.com's gist and API hosts are
    /// github.com.
    pub fn of(url: &Url) -> Self {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let host = match host.as_str() {
            "api.github.com" | "gist.github.com" | "gist.githubusercontent.com" => {
                "github.com".to_owned()
            }
            _ => host,
        };
        match url.port() {
            Some(port) => Self(format!("{host}:{port}")),
            None => Self(host),
        }
    }

    /// Parses `--hostname`: `github.com`, `HOST:PORT`, or a URL.
    ///
    /// ```
    /// use gistdesk::cli::credentials::Host;
    /// assert_eq!(Host::parse("GitHub.com").unwrap().as_str(), "github.com");
    /// assert_eq!(Host::parse("https://ghe.example/").unwrap().as_str(), "ghe.example");
    /// assert_eq!(Host::parse("127.0.0.1:8080").unwrap().as_str(), "127.0.0.1:8080");
    /// assert!(Host::parse("a/b").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, CliError> {
        let s = s.trim();
        let bad = || {
            CliError::Usage(format!(
                "{:?} is not a host name (like github.com or ghe.example:8443)",
                super::one_line(s)
            ))
        };
        let url = if s.contains("://") {
            Url::parse(s).map_err(|_| bad())?
        } else {
            let url = Url::parse(&format!("https://{s}")).map_err(|_| bad())?;
            if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
                return Err(bad());
            }
            url
        };
        if url.host_str().is_none_or(str::is_empty) || !url.username().is_empty() {
            return Err(bad());
        }
        Ok(Self::of(&url))
    }

    /// The host as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A file name for the host: letters, digits, `.` and `-` kept, the rest `_`.
    fn file_name(&self) -> String {
        let stem: String = self
            .0
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{stem}.json")
    }
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the sign-ins are kept.
#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
    /// Where the single sign-in of earlier versions may be (`./data/credentials.json`).
    legacy: PathBuf,
}

impl Store {
    /// `data_dir` when given (`--data-dir`, `DATA_DIR`), otherwise the per-user
    /// configuration folder.
    pub fn locate(data_dir: Option<&Path>) -> Result<Self, CliError> {
        match data_dir {
            Some(dir) => Ok(Self::at(dir.to_owned(), dir.join(LEGACY_FILE_NAME))),
            None => {
                let dirs = directories::ProjectDirs::from("", "", "gistdesk").ok_or_else(|| {
                    CliError::Config {
                        variable: "DATA_DIR",
                        problem: "(--data-dir) is needed: this user has no home folder to keep the sign-in in".to_owned(),
                    }
                })?;
                Ok(Self::at(
                    dirs.config_dir().to_owned(),
                    Path::new("data").join(LEGACY_FILE_NAME),
                ))
            }
        }
    }

    fn at(dir: PathBuf, legacy: PathBuf) -> Self {
        Self { dir, legacy }
    }

    /// The file that holds the sign-in to `host`.
    pub fn path(&self, host: &Host) -> PathBuf {
        self.dir.join(HOSTS_DIR).join(host.file_name())
    }

    /// The sign-in to `host`, if any.
    pub fn load(&self, host: &Host) -> Result<Option<Credentials>, CliError> {
        load(&self.path(host))
    }

    /// Every sign-in, ordered by host.
    pub fn all(&self) -> Result<Vec<Credentials>, CliError> {
        let hosts = self.dir.join(HOSTS_DIR);
        let entries = match std::fs::read_dir(&hosts) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(CliError::io(format!("cannot read {}", hosts.display()), e));
            }
        };
        let mut all = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|e| CliError::io(format!("cannot read {}", hosts.display()), e))?
                .path();
            if path.extension().is_some_and(|ext| ext == "json")
                && let Some(creds) = load(&path)?
            {
                all.push(creds);
            }
        }
        all.sort_by_key(Credentials::host);
        Ok(all)
    }

    /// Saves a sign-in (replacing the one to the same host) and returns its file.
    pub fn save(&self, credentials: &Credentials) -> Result<PathBuf, CliError> {
        let path = self.path(&credentials.host());
        save(&path, credentials)?;
        Ok(path)
    }

    /// Deletes the sign-in to `host`; `Ok(false)` if there was none.
    pub fn delete(&self, host: &Host) -> Result<bool, CliError> {
        let path = self.path(host);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(CliError::io(format!("cannot delete {}", path.display()), e)),
        }
    }

    /// Moves the sign-in of earlier versions (`./data/credentials.json`, or
    /// `DATA_DIR/credentials.json`) to its host's file, saying so on stderr. One that
    /// cannot be moved is left in place with a warning; nothing here fails a command.
    pub fn migrate(&self) {
        let legacy = &self.legacy;
        let creds = match load(legacy) {
            Ok(Some(creds)) => creds,
            Ok(None) => return,
            Err(e) => {
                eprintln!("warning: an older sign-in file was found but not moved: {e}");
                return;
            }
        };
        let host = creds.host();
        let target = self.path(&host);
        if target.exists() {
            eprintln!(
                "warning: {} holds an older sign-in to {host}, left in place because {host} is already signed in ({}); delete it",
                legacy.display(),
                target.display()
            );
            return;
        }
        let moved = save(&target, &creds).and_then(|()| {
            std::fs::remove_file(legacy)
                .map_err(|e| CliError::io(format!("cannot delete {}", legacy.display()), e))
        });
        match moved {
            Ok(()) => eprintln!(
                "Moved your sign-in to {host} from {} to {} (sign-ins are now kept per user and per GitHub host)",
                legacy.display(),
                target.display()
            ),
            Err(e) => eprintln!(
                "warning: could not move the sign-in in {}: {e}",
                legacy.display()
            ),
        }
    }
}

/// Reads credentials; `Ok(None)` when there are none.
fn load(path: &Path) -> Result<Option<Credentials>, CliError> {
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
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| CliError::DamagedCredentials {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
        })
}

/// Writes credentials with mode 0600, replacing any previous file atomically.
fn save(path: &Path, credentials: &Credentials) -> Result<(), CliError> {
    let context = || format!("cannot save the sign-in to {}", path.display());
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    create_private_dir(dir).map_err(|e| CliError::io(context(), e))?;
    let json = serde_json::to_vec_pretty(credentials)
        .map_err(|e| CliError::io(context(), io::Error::other(e)))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = write_private(&temp, &json).and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(CliError::io(context(), e));
    }
    Ok(())
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

    fn sample(github: &str) -> Credentials {
        Credentials {
            github_url: Url::parse(github).expect("url"),
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

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "gistdesk-credentials-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn hosts_name_their_files() {
        let host = |s: &str| Host::of(&Url::parse(s).expect("url"));
        assert_eq!(host("https://github.com/").as_str(), "github.com");
        assert_eq!(host("https://gist.github.com/x/1").as_str(), "github.com");
        assert_eq!(host("https://api.github.com/").as_str(), "github.com");
        assert_eq!(host("https://GHE.example:443/").as_str(), "ghe.example");
        assert_eq!(host("http://127.0.0.1:8080/").as_str(), "127.0.0.1:8080");
        assert_eq!(
            host("http://127.0.0.1:8080/").file_name(),
            "127.0.0.1_8080.json"
        );
        assert_eq!(host("http://[::1]:80/").file_name(), "___1_.json");
        for bad in ["", "a/b", "user@host", "https://"] {
            assert!(Host::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn one_file_per_host_private_and_atomic() {
        let dir = temp_dir("hosts");
        let store = Store::at(dir.clone(), dir.join(LEGACY_FILE_NAME));
        let github = Host::parse("github.com").expect("host");
        assert!(store.load(&github).expect("no file is fine").is_none());
        assert!(store.all().expect("no folder is fine").is_empty());
        store.save(&sample("https://github.com/")).expect("saved");
        let path = store
            .save(&sample("https://github.com/"))
            .expect("replaced");
        store.save(&sample("https://ghe.example/")).expect("saved");
        assert_eq!(path, dir.join("hosts/github.com.json"));
        let loaded = store.load(&github).expect("readable").expect("present");
        assert_eq!(loaded.tokens.access_token.secret(), "gho_sample_token");
        assert!(!format!("{loaded:?}").contains("gho_sample_token"));
        let hosts: Vec<_> = store
            .all()
            .expect("all")
            .iter()
            .map(|c| c.host().0)
            .collect();
        assert_eq!(hosts, ["ghe.example", "github.com"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers = std::fs::read_dir(dir.join("hosts")).expect("dir").count();
        assert_eq!(leftovers, 2, "no temporary file is left behind");
        assert!(store.delete(&github).expect("deleted"));
        assert!(!store.delete(&github).expect("already gone"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_older_single_file_is_moved_once() {
        let dir = temp_dir("legacy");
        let legacy = dir.join("old").join(LEGACY_FILE_NAME);
        let store = Store::at(dir.join("new"), legacy.clone());
        save(&legacy, &sample("https://ghe.example/")).expect("saved");
        store.migrate();
        assert!(!legacy.exists());
        let host = Host::parse("ghe.example").expect("host");
        assert!(store.load(&host).expect("readable").is_some());
        // A second older file for a host already signed in is left alone.
        save(&legacy, &sample("https://ghe.example/")).expect("saved");
        store.migrate();
        assert!(legacy.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_damaged_file_does_not_echo_its_content() {
        let dir = temp_dir("damaged");
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("x.json");
        std::fs::write(&file, br#"{"tokens": "gho_do_not_echo"}"#).expect("written");
        let err = load(&file).expect_err("not credentials").to_string();
        assert!(!err.contains("gho_do_not_echo"), "{err}");
        assert!(err.contains("gistdesk login"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
