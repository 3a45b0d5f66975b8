//! A gist as a ZIP archive, built here from its files (GitHub's own archive link is
//! on its web site, not in the API): `gist-ID/NAME` for each file.

use std::io::Write as _;

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::future::join_all;
use zip::write::SimpleFileOptions;

use super::parse_id;
use super::show::{Content, full_content_up_to};
use crate::routes::Me;
use crate::{AppError, limits};

pub(crate) async fn download(me: Me, Path(id): Path<String>) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let github = me.github()?;
    let gist = github.gists().get(&id).await?;
    // The most of a file the API gives back: a larger one is only reachable by `git clone`.
    let max = limits::MAX_GIST_BYTES as u64;
    let contents = join_all(
        gist.files
            .values()
            .map(|file| full_content_up_to(&github, file, max)),
    )
    .await;
    let mut files = Vec::with_capacity(contents.len());
    for (name, content) in gist.files.keys().zip(contents) {
        files.push((name.clone(), content?));
    }
    let folder = format!("gist-{}", id.as_str());
    let clone_url = gist.git_pull_url.clone().unwrap_or_default();
    // Compressing is CPU work: keep it off the threads that serve requests.
    let archive = tokio::task::spawn_blocking(move || zip_files(&folder, &clone_url, files))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"gist-{}.zip\"", id.as_str()),
            ),
        ],
        archive,
    )
        .into_response())
}

/// The archive: every file under `folder/`; a file too large for the API is left out
/// and named in `folder/NOT-INCLUDED.txt` with the way to get it.
fn zip_files(
    folder: &str,
    clone_url: &str,
    files: Vec<(String, Content)>,
) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut left_out = Vec::new();
    for (name, content) in files {
        match content {
            Content::Full(text) => {
                zip.start_file(format!("{folder}/{name}"), options)?;
                zip.write_all(text.as_bytes())?;
            }
            Content::TooLarge => left_out.push(name),
        }
    }
    if !left_out.is_empty() {
        zip.start_file(format!("{folder}/NOT-INCLUDED.txt"), options)?;
        let mut note = String::from(
            "These files are larger than GitHub's API gives back, so they are not in this archive:\n\n",
        );
        for name in &left_out {
            note.push_str(&format!("  {name}\n"));
        }
        note.push_str(&format!(
            "\nGet the whole gist with: git clone {clone_url}\n"
        ));
        zip.write_all(note.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn the_archive_holds_each_file_and_names_those_left_out() {
        let bytes = zip_files(
            "gist-abc",
            "https://gist.example/abc.git",
            vec![
                ("a.md".to_owned(), Content::Full("# A\n".to_owned())),
                ("big.txt".to_owned(), Content::TooLarge),
            ],
        )
        .expect("zipped");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        let mut text = String::new();
        archive
            .by_name("gist-abc/a.md")
            .expect("a.md inside")
            .read_to_string(&mut text)
            .expect("reads");
        assert_eq!(text, "# A\n");
        let mut note = String::new();
        archive
            .by_name("gist-abc/NOT-INCLUDED.txt")
            .expect("a note")
            .read_to_string(&mut note)
            .expect("reads");
        assert!(
            note.contains("big.txt") && note.contains("git clone https://gist.example/abc.git")
        );
    }
}
