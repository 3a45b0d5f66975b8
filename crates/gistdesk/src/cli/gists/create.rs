//! `gistdesk gists create [FILE|-]...`: each file named after its file name; standard
//! input (`-`, or no file at all) named by `--filename`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use github_api::NewGist;

use super::Source;
use crate::cli::progress::Spinner;
use crate::cli::session::Session;
use crate::cli::{CliError, StoredArgs, browser, one_line, out};

/// The name of a file read from standard input when `--filename` is not given.
const STDIN_NAME: &str = "gistfile1.txt";

/// Flags of `gistdesk gists create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The files (UTF-8 text); `-` is standard input, read when no file is given.
    #[arg(value_name = "FILE|-")]
    files: Vec<PathBuf>,
    /// The name of the file read from standard input.
    #[arg(long, short, value_name = "NAME")]
    filename: Option<String>,
    /// List the gist publicly (a secret gist is seen only through its link).
    #[arg(long, short)]
    public: bool,
    /// The gist's description.
    #[arg(
        long = "desc",
        short,
        visible_alias = "description",
        value_name = "TEXT"
    )]
    desc: Option<String>,
    /// Open the new gist's page in the browser.
    #[arg(long, short)]
    web: bool,
}

pub(super) async fn run(stored: &StoredArgs, args: CreateArgs) -> Result<(), CliError> {
    let files = read(&args)?;
    let mut new = NewGist::new(args.public);
    if let Some(description) = args.desc {
        new = new.description(description);
    }
    for (name, content) in files {
        new = new.file(name, content);
    }
    let mut session = Session::open(stored, None).await?;
    let spinner = Spinner::start("Creating the gist…");
    let gist = session
        .call(|c| {
            let new = new.clone();
            async move { c.gists().create(&new).await }
        })
        .await?;
    spinner.done();
    {
        let mut stdout = std::io::stdout().lock();
        out(
            &mut stdout,
            format_args!("Created gist {}", gist.id.as_str()),
        )?;
        if let Some(url) = gist.html_url.as_deref() {
            out(&mut stdout, format_args!("{}", one_line(url)))?;
        }
    }
    match gist.html_url.as_deref() {
        Some(page) if args.web => browser::open(page),
        _ => Ok(()),
    }
}

/// Every file's name and content, read before anything is sent.
fn read(args: &CreateArgs) -> Result<BTreeMap<String, String>, CliError> {
    let stdin = [PathBuf::from("-")];
    let paths = if args.files.is_empty() {
        &stdin[..]
    } else {
        &args.files[..]
    };
    let from_stdin = paths.iter().filter(|p| p.as_os_str() == "-").count();
    if from_stdin > 1 {
        return Err(CliError::Usage(
            "standard input (-) can be read once only".to_owned(),
        ));
    }
    if from_stdin == 0 && args.filename.is_some() {
        return Err(CliError::Usage(
            "--filename names the file read from standard input: add - to the files".to_owned(),
        ));
    }
    let mut files = BTreeMap::new();
    for path in paths {
        let source = Source::of(path);
        let name = match source.file_name()? {
            Some(name) => name,
            None => args
                .filename
                .clone()
                .unwrap_or_else(|| STDIN_NAME.to_owned()),
        };
        super::check_file_name(&name)?;
        let content = source.read()?;
        if files.insert(name.clone(), content).is_some() {
            return Err(CliError::Usage(format!(
                "two files are named {}; a gist's files need distinct names",
                one_line(&name)
            )));
        }
    }
    Ok(files)
}
