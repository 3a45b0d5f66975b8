//! The gist form shared by "new" and "edit": reading the posted fields, checking
//! them, and turning them into GitHub's create or update request.
//!
//! Fields: `description`, `visibility` (new only), and per file slot N
//! `file-N-name`, `file-N-content`, `file-N-original` (edit: the name on GitHub),
//! `file-N-remove`. `intent=add-file` asks for one more empty slot.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
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
}

/// The posted form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GistForm {
    pub(crate) description: String,
    pub(crate) public: bool,
    pub(crate) files: Vec<FileSlot>,
    pub(crate) intent: Intent,
}

impl GistForm {
    /// An empty form for a new gist.
    pub(crate) fn blank() -> Self {
        Self {
            description: String::new(),
            public: false,
            files: vec![FileSlot::default()],
            intent: Intent::Save,
        }
    }

    /// Reads the posted fields.
    pub(crate) fn parse(pairs: Vec<(String, String)>) -> Result<Self, AppError> {
        let mut form = Self {
            description: String::new(),
            public: false,
            files: Vec::new(),
            intent: Intent::Save,
        };
        let mut slots: BTreeMap<usize, FileSlot> = BTreeMap::new();
        for (name, value) in pairs {
            match name.as_str() {
                "description" => form.description = value,
                "visibility" => form.public = value == "public",
                "intent" => {
                    form.intent = if value == "add-file" {
                        Intent::AddFile
                    } else {
                        Intent::Save
                    }
                }
                _ => {
                    let Some((index, field)) = name
                        .strip_prefix("file-")
                        .and_then(|rest| rest.split_once('-'))
                    else {
                        continue;
                    };
                    let index: usize =
                        index
                            .parse()
                            .ok()
                            .filter(|i| *i < MAX_SLOTS)
                            .ok_or_else(|| {
                                AppError::BadRequest(format!(
                                    "A gist form holds at most {MAX_SLOTS} files."
                                ))
                            })?;
                    let slot = slots.entry(index).or_default();
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
        form.files = slots.into_values().collect();
        if form.files.is_empty() {
            form.files.push(FileSlot::default());
        }
        Ok(form)
    }

    /// Adds an empty slot (the "Add another file" button).
    pub(crate) fn add_slot(&mut self) {
        if self.files.len() < MAX_SLOTS {
            self.files.push(FileSlot::default());
        }
    }

    /// The request creating this gist, or what to fix.
    pub(crate) fn to_new_gist(&self) -> Result<NewGist, Vec<String>> {
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
                problems.push(format!(
                    "Two files are named “{name}”; file names must differ."
                ));
            }
            gist = gist.file(name, slot.content.clone());
        }
        if gist.files.is_empty() && problems.is_empty() {
            problems.push("Add at least one file with some content.".to_owned());
        }
        if problems.is_empty() {
            Ok(gist)
        } else {
            Err(problems)
        }
    }

    /// The request applying this form to a gist, or what to fix. `kept_elsewhere`
    /// counts files not in the form (too large to edit) that stay.
    pub(crate) fn to_update(&self, kept_elsewhere: usize) -> Result<GistUpdate, Vec<String>> {
        let mut problems = self.description_problems();
        let mut update = GistUpdate::new().description(self.description.trim());
        let mut names = BTreeSet::new();
        let mut kept = kept_elsewhere;
        for (index, slot) in self.files.iter().enumerate() {
            let Some(original) = &slot.original else {
                if let Some(name) = new_file_name(slot, index, &mut problems) {
                    if !names.insert(name.clone()) {
                        problems.push(format!(
                            "Two files are named “{name}”; file names must differ."
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
                problems.push(problem);
            }
            if slot.content.trim().is_empty() {
                problems.push(format!(
                    "“{name}” is empty: write something, or tick “Remove this file”."
                ));
            }
            if !names.insert(name.clone()) {
                problems.push(format!(
                    "Two files are named “{name}”; file names must differ."
                ));
            }
            update = update.content(original.clone(), slot.content.clone());
            if &name != original {
                update = update.rename(original.clone(), name);
            }
            kept += 1;
        }
        if kept == 0 {
            problems.push(
                "A gist needs at least one file. To remove them all, delete the gist instead."
                    .to_owned(),
            );
        }
        if problems.is_empty() {
            Ok(update)
        } else {
            Err(problems)
        }
    }

    fn description_problems(&self) -> Vec<String> {
        if self.description.chars().count() > MAX_DESCRIPTION_CHARS {
            vec![format!(
                "The description is longer than {MAX_DESCRIPTION_CHARS} characters."
            )]
        } else {
            Vec::new()
        }
    }
}

/// The name of a new file slot, `None` when the slot is empty (or has problems, pushed).
fn new_file_name(slot: &FileSlot, index: usize, problems: &mut Vec<String>) -> Option<String> {
    let name = slot.name.trim();
    let empty = slot.content.trim().is_empty();
    match (name.is_empty(), empty) {
        (true, true) => None,
        (false, true) => {
            problems.push(format!(
                "“{name}” is empty: write something, or clear its name to leave it out."
            ));
            None
        }
        // GitHub names unnamed files the same way.
        (true, false) => Some(format!("gistfile{}.txt", index + 1)),
        (false, false) => match name_problem(name) {
            Some(problem) => {
                problems.push(problem);
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
    pub(crate) untouchable: Vec<String>,
    pub(crate) problems: Vec<String>,
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
                problems[0].contains("cannot be a file name"),
                "{problems:?}"
            );
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
        form.add_slot();
        assert_eq!(form.files.len(), 2);
    }
}
