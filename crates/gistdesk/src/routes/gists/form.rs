//! The gist form shared by "new" and "edit": reading the posted fields (URL-encoded,
//! or multipart when a file is uploaded into a slot), checking them, and turning them
//! into GitHub's create or update request.
//!
//! Fields: `description`, `visibility` (new only), and per file slot N
//! `file-N-name`, `file-N-content`, `file-N-original` (edit: the name on GitHub),
//! `file-N-remove`, `file-N-upload` (a text file that fills the slot). `intent` says
//! which button was pressed: `save`, `add-file` (one more empty slot) or `remove-N`
//! (drop a slot not yet saved). Every problem names the field it concerns, so the page
//! shows it next to that field; nothing typed is ever dropped from the page.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::body::Bytes;
use axum::http::StatusCode;
use github_api::{GistUpdate, NewGist};

use crate::AppError;
use crate::views::Layout;

/// Most file slots one form may carry.
const MAX_SLOTS: usize = 100;
const MAX_NAME_CHARS: usize = 255;
const MAX_DESCRIPTION_CHARS: usize = 1000;

/// One file slot of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FileSlot {
    pub(crate) original: Option<String>,
    pub(crate) name: String,
    pub(crate) content: String,
    pub(crate) remove: bool,
}

/// What the person asked for with the button they pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intent {
    Save,
    AddFile,
    /// Drop the slot at this index (one not on GitHub yet).
    RemoveSlot(usize),
}

/// Something to fix, and the field it concerns (`description`, `file-2-name`…), or
/// `None` when it concerns the whole gist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) field: Option<String>,
    pub(crate) message: String,
}

impl Problem {
    pub(crate) fn general(message: impl Into<String>) -> Self {
        Self {
            field: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    fn slot(index: usize, part: &str, message: impl Into<String>) -> Self {
        Self::at(format!("file-{index}-{part}"), message)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// One posted field: text, or a file chosen for upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Posted {
    Text(String),
    File { filename: String, bytes: Bytes },
}

/// The posted form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GistForm {
    pub(crate) description: String,
    pub(crate) public: bool,
    pub(crate) files: Vec<FileSlot>,
    pub(crate) intent: Intent,
    /// Uploads that could not fill their slot (not text); the form is not saved.
    pub(crate) upload_problems: Vec<Problem>,
}

impl GistForm {
    /// An empty form for a new gist.
    pub(crate) fn blank() -> Self {
        Self {
            description: String::new(),
            public: false,
            files: vec![FileSlot::default()],
            intent: Intent::Save,
            upload_problems: Vec::new(),
        }
    }

    /// Reads URL-encoded fields (a form without a file).
    #[cfg(test)]
    pub(crate) fn parse(pairs: Vec<(String, String)>) -> Result<Self, AppError> {
        Self::parse_posted(
            pairs
                .into_iter()
                .map(|(name, value)| (name, Posted::Text(value)))
                .collect(),
        )
    }

    /// Reads the posted fields; an uploaded text file replaces its slot's content (and
    /// names the slot when it has no name yet).
    pub(crate) fn parse_posted(fields: Vec<(String, Posted)>) -> Result<Self, AppError> {
        let mut form = Self {
            description: String::new(),
            public: false,
            files: Vec::new(),
            intent: Intent::Save,
            upload_problems: Vec::new(),
        };
        let mut slots: BTreeMap<usize, FileSlot> = BTreeMap::new();
        let mut uploads: Vec<(usize, String, Bytes)> = Vec::new();
        let mut refused: Vec<(usize, String)> = Vec::new();
        for (name, value) in fields {
            let value = match value {
                Posted::Text(value) => value,
                Posted::File { filename, bytes } => {
                    if let Some(index) = name
                        .strip_prefix("file-")
                        .and_then(|rest| rest.strip_suffix("-upload"))
                    {
                        let index = slot_index(index)?;
                        slots.entry(index).or_default();
                        // A file input left empty sends no name and no bytes.
                        if !filename.is_empty() || !bytes.is_empty() {
                            uploads.push((index, filename, bytes));
                        }
                    }
                    continue;
                }
            };
            match name.as_str() {
                "description" => form.description = value,
                "visibility" => form.public = value == "public",
                "intent" => {
                    form.intent = match value.as_str() {
                        "add-file" => Intent::AddFile,
                        other => other
                            .strip_prefix("remove-")
                            .and_then(|index| index.parse().ok())
                            .map_or(Intent::Save, Intent::RemoveSlot),
                    }
                }
                _ => {
                    let Some((index, field)) = name
                        .strip_prefix("file-")
                        .and_then(|rest| rest.split_once('-'))
                    else {
                        continue;
                    };
                    let slot = slots.entry(slot_index(index)?).or_default();
                    match field {
                        "name" => slot.name = value,
                        "content" => slot.content = normalize_newlines(value),
                        "original" => slot.original = Some(value),
                        "remove" => slot.remove = !value.is_empty(),
                        _ => {}
                    }
                }
            }
        }
        for (index, filename, bytes) in uploads {
            let Some(slot) = slots.get_mut(&index) else {
                continue;
            };
            match upload_text(&filename, bytes) {
                Ok(text) => {
                    slot.content = normalize_newlines(text);
                    let base = base_name(&filename);
                    if slot.name.trim().is_empty() && !base.is_empty() {
                        slot.name = base.to_owned();
                    }
                }
                Err(message) => refused.push((index, message)),
            }
        }
        // Slots are numbered again from 0 on the next page: problems follow their slot.
        let positions: BTreeMap<usize, usize> = slots
            .keys()
            .enumerate()
            .map(|(position, index)| (*index, position))
            .collect();
        form.upload_problems = refused
            .into_iter()
            .map(|(index, message)| {
                Problem::slot(
                    positions.get(&index).copied().unwrap_or(0),
                    "upload",
                    message,
                )
            })
            .collect();
        if let Intent::RemoveSlot(index) = form.intent {
            form.intent = Intent::RemoveSlot(positions.get(&index).copied().unwrap_or(usize::MAX));
        }
        form.files = slots.into_values().collect();
        if form.files.is_empty() {
            form.files.push(FileSlot::default());
        }
        Ok(form)
    }

    /// Adds an empty slot (the "Add another file" button); the index of the new slot.
    pub(crate) fn add_slot(&mut self) -> usize {
        if self.files.len() < MAX_SLOTS {
            self.files.push(FileSlot::default());
        }
        self.files.len() - 1
    }

    /// Drops a slot that is not on GitHub yet (the slot's "Remove" button). A slot of a
    /// file on GitHub is removed with its "Remove this file" box instead, when saving.
    pub(crate) fn remove_slot(&mut self, index: usize) {
        if self
            .files
            .get(index)
            .is_some_and(|slot| slot.original.is_none())
        {
            self.files.remove(index);
            self.upload_problems.retain(|problem| {
                problem.field.as_deref() != Some(format!("file-{index}-upload").as_str())
            });
        }
        if self.files.is_empty() {
            self.files.push(FileSlot::default());
        }
    }

    /// The request creating this gist, or what to fix.
    pub(crate) fn to_new_gist(&self) -> Result<NewGist, Vec<Problem>> {
        let mut problems = self.description_problems();
        let mut gist = NewGist::new(self.public);
        let description = self.description.trim();
        if !description.is_empty() {
            gist = gist.description(description);
        }
        let mut names = BTreeSet::new();
        for (index, slot) in self.files.iter().enumerate() {
            let Some(name) = new_file_name(slot, index, &mut problems) else {
                continue;
            };
            if !names.insert(name.clone()) {
                problems.push(Problem::slot(
                    index,
                    "name",
                    format!("Two files are named “{name}”; file names must differ."),
                ));
            }
            gist = gist.file(name, slot.content.clone());
        }
        if gist.files.is_empty() && problems.is_empty() {
            problems.push(Problem::slot(
                0,
                "content",
                "Add at least one file with some content.",
            ));
        }
        if problems.is_empty() {
            Ok(gist)
        } else {
            Err(problems)
        }
    }

    /// The request applying this form to a gist, or what to fix. `kept_elsewhere`
    /// counts files not in the form (too large to edit) that stay.
    pub(crate) fn to_update(&self, kept_elsewhere: usize) -> Result<GistUpdate, Vec<Problem>> {
        let mut problems = self.description_problems();
        let mut update = GistUpdate::new().description(self.description.trim());
        let mut names = BTreeSet::new();
        let mut kept = kept_elsewhere;
        for (index, slot) in self.files.iter().enumerate() {
            let Some(original) = &slot.original else {
                if let Some(name) = new_file_name(slot, index, &mut problems) {
                    if !names.insert(name.clone()) {
                        problems.push(Problem::slot(
                            index,
                            "name",
                            format!("Two files are named “{name}”; file names must differ."),
                        ));
                    }
                    update = update.content(name, slot.content.clone());
                    kept += 1;
                }
                continue;
            };
            if slot.remove {
                update = update.delete(original.clone());
                continue;
            }
            let name = match slot.name.trim() {
                "" => original.clone(),
                name => name.to_owned(),
            };
            if let Some(problem) = name_problem(&name) {
                problems.push(Problem::slot(index, "name", problem));
            }
            if slot.content.trim().is_empty() {
                problems.push(Problem::slot(
                    index,
                    "content",
                    format!("“{name}” is empty: write something, or tick “Remove this file”."),
                ));
            }
            if !names.insert(name.clone()) {
                problems.push(Problem::slot(
                    index,
                    "name",
                    format!("Two files are named “{name}”; file names must differ."),
                ));
            }
            update = update.content(original.clone(), slot.content.clone());
            if &name != original {
                update = update.rename(original.clone(), name);
            }
            kept += 1;
        }
        if kept == 0 {
            problems.push(Problem::general(
                "A gist needs at least one file. To remove them all, delete the gist instead.",
            ));
        }
        if problems.is_empty() {
            Ok(update)
        } else {
            Err(problems)
        }
    }

    fn description_problems(&self) -> Vec<Problem> {
        let mut problems = self.upload_problems.clone();
        if self.description.chars().count() > MAX_DESCRIPTION_CHARS {
            problems.push(Problem::at(
                "description",
                format!("The description is longer than {MAX_DESCRIPTION_CHARS} characters."),
            ));
        }
        problems
    }
}

/// Why GitHub did not save the gist, as problems for the form shown again with what
/// was typed, and the page's status. Only a sign-in GitHub no longer accepts is an
/// error page (the session ends, so there is no form to show).
pub(crate) fn save_failure(
    error: github_api::Error,
) -> Result<(StatusCode, Vec<Problem>), AppError> {
    if let github_api::Error::Validation { message, errors } = error {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            validation_problems(message, &errors),
        ));
    }
    let error = AppError::from(error);
    if matches!(error, AppError::SignInAgain) {
        return Err(error);
    }
    let mut message = error.explanation();
    message.push_str(if matches!(error, AppError::Timeout) {
        " GitHub may have saved it all the same: look at your gists before you send it again."
    } else {
        " Nothing was saved; send the form again when GitHub answers."
    });
    Ok((error.status(), vec![Problem::general(message)]))
}

/// GitHub's 422 in words a person can act on, next to the field GitHub named.
pub(crate) fn validation_problems(
    message: String,
    errors: &[github_api::ValidationError],
) -> Vec<Problem> {
    let mut problems: Vec<Problem> = errors
        .iter()
        .filter_map(|error| {
            let field = error.field.as_deref();
            let text = error.message.clone().or_else(|| {
                Some(format!(
                    "GitHub rejected {} ({})",
                    field?,
                    error.code.as_deref().unwrap_or("invalid")
                ))
            })?;
            Some(match field {
                Some("description") => Problem::at("description", text),
                _ => Problem::general(text),
            })
        })
        .collect();
    if problems.is_empty() {
        problems.push(Problem::general(format!(
            "GitHub rejected the gist: {message}"
        )));
    }
    problems
}

fn slot_index(raw: &str) -> Result<usize, AppError> {
    raw.parse().ok().filter(|i| *i < MAX_SLOTS).ok_or_else(|| {
        AppError::BadRequest(format!("A gist form holds at most {MAX_SLOTS} files."))
    })
}

/// An uploaded file's text, or why it cannot be a gist file: the gists API takes text
/// (UTF-8 in JSON), and a NUL byte marks a binary file, as git sees it.
fn upload_text(filename: &str, bytes: Bytes) -> Result<String, String> {
    let shown = base_name(filename);
    let shown = if shown.is_empty() { "The file" } else { shown };
    if bytes.contains(&0) {
        return Err(format!(
            "“{shown}” is a binary file; gists hold text only (GitHub's API takes no other). Choose a text file, or put this one somewhere else."
        ));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        format!(
            "“{shown}” is not UTF-8 text; gists hold text only. Save it as UTF-8 and choose it again."
        )
    })
}

/// The name of an uploaded file without the folders some browsers send.
fn base_name(filename: &str) -> &str {
    filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(filename)
        .trim()
}

/// The name of a new file slot, `None` when the slot is empty (or has problems, pushed).
fn new_file_name(slot: &FileSlot, index: usize, problems: &mut Vec<Problem>) -> Option<String> {
    let name = slot.name.trim();
    let empty = slot.content.trim().is_empty();
    match (name.is_empty(), empty) {
        (true, true) => None,
        (false, true) => {
            problems.push(Problem::slot(
                index,
                "content",
                format!("“{name}” is empty: write something, or clear its name to leave it out."),
            ));
            None
        }
        // GitHub names unnamed files the same way.
        (true, false) => Some(format!("gistfile{}.txt", index + 1)),
        (false, false) => match name_problem(name) {
            Some(problem) => {
                problems.push(Problem::slot(index, "name", problem));
                None
            }
            None => Some(name.to_owned()),
        },
    }
}

fn name_problem(name: &str) -> Option<String> {
    if name.chars().count() > MAX_NAME_CHARS {
        Some(format!(
            "A file name is longer than {MAX_NAME_CHARS} characters."
        ))
    } else if name.contains(['/', '\\']) || name.chars().any(char::is_control) {
        Some(format!(
            "“{name}”: file names cannot contain slashes or control characters."
        ))
    } else if name == "." || name == ".." {
        // A raw link would end in /. or /.., which browsers and proxies rewrite away.
        Some(format!("“{name}” cannot be a file name."))
    } else {
        None
    }
}

/// Browsers send textarea lines ending in CRLF; gists keep LF.
fn normalize_newlines(text: String) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    }
}

/// The create/edit page.
#[derive(Template)]
#[template(path = "gists/form.html")]
pub(crate) struct FormPage {
    pub(crate) layout: Layout,
    pub(crate) heading: String,
    pub(crate) action: String,
    pub(crate) submit_label: &'static str,
    pub(crate) cancel_href: String,
    pub(crate) editing: bool,
    pub(crate) description: String,
    pub(crate) public: bool,
    pub(crate) files: Vec<FileSlot>,
    /// Whether `public` is known (an edit whose gist GitHub did not give shows none).
    pub(crate) public_known: bool,
    pub(crate) untouchable: Vec<String>,
    pub(crate) problems: Vec<Problem>,
    /// The slot whose name field takes the focus (the one just added): `autofocus`
    /// scrolls it into view too. A fragment in the address would not do: browsers
    /// skip `autofocus` on a page whose address names an element.
    pub(crate) focus: Option<usize>,
}

impl FormPage {
    /// The problems about one field, shown next to it.
    fn problems_at(&self, field: &str) -> Vec<&str> {
        self.problems
            .iter()
            .filter(|problem| problem.field.as_deref() == Some(field))
            .map(|problem| problem.message.as_str())
            .collect()
    }

    /// The problems about part (`name`, `content`, `upload`) of slot `index`.
    fn slot_problems(&self, index: &usize, part: &str) -> Vec<&str> {
        self.problems_at(&format!("file-{index}-{part}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn new_gist_from_slots() {
        let form = GistForm::parse(pairs(&[
            ("csrf_token", "x"),
            ("description", " notes "),
            ("visibility", "public"),
            ("file-0-name", "a.md"),
            ("file-0-content", "# A\r\nline"),
            ("file-1-name", ""),
            ("file-1-content", ""),
            ("file-2-name", ""),
            ("file-2-content", "unnamed"),
        ]))
        .expect("parses");
        let gist = form.to_new_gist().expect("valid");
        assert!(gist.public);
        assert_eq!(gist.description.as_deref(), Some("notes"));
        assert_eq!(
            gist.files.get("a.md").map(String::as_str),
            Some("# A\nline")
        );
        assert_eq!(
            gist.files.get("gistfile3.txt").map(String::as_str),
            Some("unnamed")
        );
        assert_eq!(gist.files.len(), 2);
    }

    #[test]
    fn new_gist_problems() {
        let form = GistForm::parse(pairs(&[("file-0-name", ""), ("file-0-content", " ")]))
            .expect("parses");
        assert_eq!(form.to_new_gist().expect_err("empty").len(), 1);
        let form = GistForm::parse(pairs(&[
            ("file-0-name", "a/b"),
            ("file-0-content", "x"),
            ("file-1-name", "c"),
            ("file-1-content", ""),
            ("file-2-name", "d"),
            ("file-2-content", "x"),
            ("file-3-name", "d"),
            ("file-3-content", "y"),
        ]))
        .expect("parses");
        let problems = form.to_new_gist().expect_err("bad");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(GistForm::parse(pairs(&[("file-100-name", "x")])).is_err());
        for name in [".", ".."] {
            let form = GistForm::parse(pairs(&[("file-0-name", name), ("file-0-content", "x")]))
                .expect("parses");
            let problems = form.to_new_gist().expect_err("a dot name is refused");
            assert!(
                problems[0].message.contains("cannot be a file name"),
                "{problems:?}"
            );
            assert_eq!(problems[0].field.as_deref(), Some("file-0-name"));
        }
        let form = GistForm::parse(pairs(&[("file-0-name", "..."), ("file-0-content", "x")]))
            .expect("parses");
        assert!(
            form.to_new_gist().is_ok(),
            "three dots are an ordinary name"
        );
    }

    #[test]
    fn update_renames_removes_and_adds() {
        let form = GistForm::parse(pairs(&[
            ("description", "d"),
            ("file-0-original", "a.md"),
            ("file-0-name", "b.md"),
            ("file-0-content", "new"),
            ("file-1-original", "old.txt"),
            ("file-1-name", "old.txt"),
            ("file-1-content", "bye"),
            ("file-1-remove", "1"),
            ("file-2-name", "c.rs"),
            ("file-2-content", "fn main() {}"),
        ]))
        .expect("parses");
        let update = form.to_update(0).expect("valid");
        assert_eq!(
            serde_json::to_value(&update).expect("serializes"),
            serde_json::json!({
                "description": "d",
                "files": {
                    "a.md": {"content": "new", "filename": "b.md"},
                    "old.txt": null,
                    "c.rs": {"content": "fn main() {}"}
                }
            })
        );
    }

    #[test]
    fn update_keeps_at_least_one_file() {
        let form = GistForm::parse(pairs(&[
            ("file-0-original", "a.md"),
            ("file-0-name", "a.md"),
            ("file-0-content", "x"),
            ("file-0-remove", "1"),
        ]))
        .expect("parses");
        assert!(form.to_update(0).is_err());
        assert!(form.to_update(1).is_ok());
    }

    #[test]
    fn add_file_intent() {
        let mut form = GistForm::parse(pairs(&[("intent", "add-file")])).expect("parses");
        assert_eq!(form.intent, Intent::AddFile);
        assert_eq!(form.add_slot(), 1);
        assert_eq!(form.files.len(), 2);
    }

    fn file(filename: &str, bytes: &[u8]) -> Posted {
        Posted::File {
            filename: filename.to_owned(),
            bytes: Bytes::copy_from_slice(bytes),
        }
    }

    fn text(value: &str) -> Posted {
        Posted::Text(value.to_owned())
    }

    #[test]
    fn an_uploaded_text_file_fills_its_slot() {
        let form = GistForm::parse_posted(vec![
            ("file-0-name".to_owned(), text("")),
            ("file-0-content".to_owned(), text("typed")),
            (
                "file-0-upload".to_owned(),
                file("C:\\docs\\notes.md", b"# Notes\r\n"),
            ),
            ("file-1-name".to_owned(), text("keep.txt")),
            ("file-1-content".to_owned(), text("kept")),
            ("file-1-upload".to_owned(), file("", b"")),
        ])
        .expect("parses");
        assert!(form.upload_problems.is_empty());
        assert_eq!(form.files[0].name, "notes.md", "named after the upload");
        assert_eq!(form.files[0].content, "# Notes\n");
        assert_eq!(form.files[1].content, "kept", "no file chosen: untouched");
        assert!(form.to_new_gist().is_ok());
    }

    #[test]
    fn a_binary_upload_is_refused_next_to_its_slot_and_nothing_is_lost() {
        let form = GistForm::parse_posted(vec![
            ("description".to_owned(), text("mine")),
            ("file-3-name".to_owned(), text("a.txt")),
            ("file-3-content".to_owned(), text("typed")),
            ("file-5-name".to_owned(), text("")),
            (
                "file-5-upload".to_owned(),
                file("photo.png", b"\x89PNG\r\n\x1a\n\0\0"),
            ),
            ("file-7-upload".to_owned(), file("latin1.txt", b"caf\xe9")),
        ])
        .expect("parses");
        let problems = form.to_new_gist().expect_err("binary is refused");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(
            problems[0].field.as_deref(),
            Some("file-1-upload"),
            "renumbered"
        );
        assert!(problems[0].message.contains("“photo.png” is a binary file"));
        assert!(problems[1].message.contains("not UTF-8"));
        assert_eq!(form.description, "mine");
        assert_eq!(form.files[0].content, "typed");
    }

    #[test]
    fn a_new_slot_can_be_removed_but_not_a_saved_file() {
        let mut form = GistForm::parse(pairs(&[
            ("file-0-original", "a.md"),
            ("file-0-name", "a.md"),
            ("file-0-content", "x"),
            ("file-4-name", "b.md"),
            ("file-4-content", "y"),
            ("intent", "remove-4"),
        ]))
        .expect("parses");
        assert_eq!(
            form.intent,
            Intent::RemoveSlot(1),
            "the slot's place on the page"
        );
        form.remove_slot(1);
        assert_eq!(form.files.len(), 1);
        form.remove_slot(0);
        assert_eq!(
            form.files.len(),
            1,
            "a file on GitHub stays (its box removes it)"
        );
        let mut form = GistForm::parse(pairs(&[("file-0-name", "x")])).expect("parses");
        form.remove_slot(0);
        assert_eq!(
            form.files,
            vec![FileSlot::default()],
            "a form keeps one slot"
        );
    }
}
