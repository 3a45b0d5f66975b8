//! `gistdesk gists edit ID|URL`: add files, replace one file's content (from a file
//! or standard input), remove or rename files, change the description. Every name is
//! checked against the gist before the change is sent, in one request.

use std::path::PathBuf;

use clap::Args;
use github_api::GistUpdate;

use super::Source;
use crate::cli::progress::Spinner;
use crate::cli::{CliError, StoredArgs, one_line, out};

/// Flags of `gistdesk gists edit`.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The gist's id or URL.
    #[arg(value_name = "ID|URL")]
    gist: String,
    /// New content for the file chosen by --filename (or the gist's only file): a file,
    /// or `-` for standard input.
    #[arg(value_name = "FILE|-")]
    source: Option<PathBuf>,
    /// The file to replace (with FILE, or standard input when FILE is not given).
    #[arg(long, short, value_name = "NAME")]
    filename: Option<String>,
    /// Add a file, named after its file name (repeatable).
    #[arg(long, short, value_name = "FILE")]
    add: Vec<PathBuf>,
    /// Remove a file (repeatable).
    #[arg(long, short, value_name = "NAME")]
    remove: Vec<String>,
    /// Rename a file (repeatable).
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"])]
    rename: Vec<String>,
    /// The new description.
    #[arg(
        long = "desc",
        short,
        visible_alias = "description",
        value_name = "TEXT"
    )]
    desc: Option<String>,
}

/// Flags of `gistdesk gists rename` (as `gh gist rename`): `edit --rename` on its own.
#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The gist's id or URL.
    #[arg(value_name = "ID|URL")]
    gist: String,
    /// The file's name now.
    old: String,
    /// Its new name.
    new: String,
}

impl From<RenameArgs> for EditArgs {
    fn from(args: RenameArgs) -> Self {
        Self {
            gist: args.gist,
            source: None,
            filename: None,
            add: Vec::new(),
            remove: Vec::new(),
            rename: vec![args.old, args.new],
            desc: None,
        }
    }
}

pub(super) async fn run(stored: &StoredArgs, args: EditArgs) -> Result<(), CliError> {
    if args.source.is_none()
        && args.filename.is_none()
        && args.add.is_empty()
        && args.remove.is_empty()
        && args.rename.is_empty()
        && args.desc.is_none()
    {
        return Err(CliError::Usage(
            "nothing to change: give --filename NAME [FILE|-], --add FILE, --remove NAME, --rename OLD NEW or --desc TEXT".to_owned(),
        ));
    }
    let (mut session, ids) = super::open_for(stored, std::slice::from_ref(&args.gist)).await?;
    let id = &ids[0];
    let login = session.login();
    let spinner = Spinner::start("Fetching the gist…");
    let gist = super::fetch(&mut session, id).await?;
    spinner.done();

    let missing = |name: &str| {
        CliError::Message(format!(
            "gist {id} has no file {:?}; its files: {}",
            one_line(name),
            super::names(&gist)
        ))
    };
    let mut update = GistUpdate::new();
    let mut said = Vec::new();
    let mut names: Vec<String> = gist.files.keys().cloned().collect();

    // Replace one file's content.
    if args.source.is_some() || args.filename.is_some() {
        let name = match &args.filename {
            Some(name) => name.clone(),
            None if names.len() == 1 => names[0].clone(),
            None => {
                return Err(CliError::Usage(format!(
                    "gist {id} has {} files: choose one with --filename NAME ({})",
                    names.len(),
                    super::names(&gist)
                )));
            }
        };
        if !names.contains(&name) {
            return Err(missing(&name));
        }
        let stdin = PathBuf::from("-");
        let source = Source::of(args.source.as_ref().unwrap_or(&stdin));
        update = update.content(name.clone(), source.read()?);
        said.push(format!("replaced {}", one_line(&name)));
    }
    for path in &args.add {
        let source = Source::of(path);
        let name = source.file_name()?.ok_or_else(|| {
            CliError::Usage(
                "--add takes a file; to replace a file from standard input use --filename NAME -"
                    .to_owned(),
            )
        })?;
        super::check_file_name(&name)?;
        if names.contains(&name) {
            return Err(CliError::Usage(format!(
                "gist {id} already has a file {}: replace it with --filename {} FILE",
                one_line(&name),
                one_line(&name)
            )));
        }
        update = update.content(name.clone(), source.read()?);
        said.push(format!("added {}", one_line(&name)));
        names.push(name);
    }
    for pair in args.rename.chunks(2) {
        let [old, new] = pair else {
            return Err(CliError::Usage("--rename takes OLD and NEW".to_owned()));
        };
        if !gist.files.contains_key(old) {
            return Err(missing(old));
        }
        super::check_file_name(new)?;
        if names.contains(new) {
            return Err(CliError::Usage(format!(
                "gist {id} already has a file {}",
                one_line(new)
            )));
        }
        update = update.rename(old.clone(), new.clone());
        said.push(format!("renamed {} to {}", one_line(old), one_line(new)));
        names.retain(|n| n != old);
        names.push(new.clone());
    }
    for name in &args.remove {
        if !gist.files.contains_key(name) {
            return Err(missing(name));
        }
        update = update.delete(name.clone());
        said.push(format!("removed {}", one_line(name)));
        names.retain(|n| n != name);
    }
    if names.is_empty() {
        return Err(CliError::Usage(format!(
            "that would remove every file of gist {id}; to delete the gist, run `gistdesk gists delete {id}`"
        )));
    }
    if let Some(desc) = &args.desc {
        update = update.description(desc.clone());
        said.push("changed the description".to_owned());
    }

    let spinner = Spinner::start("Saving the gist…");
    session
        .call(|c| {
            let (id, update) = (id.clone(), update.clone());
            async move { c.gists().update(&id, &update).await }
        })
        .await
        .map_err(|e| super::not_found(e, id, &login))?;
    spinner.done();
    out(
        &mut std::io::stdout().lock(),
        format_args!("Edited gist {id}: {}", said.join(", ")),
    )
}
