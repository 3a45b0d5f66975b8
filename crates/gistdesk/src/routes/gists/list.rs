//! The person's gists and their starred gists, 30 a page with page numbers; filtered
//! (public, secret, forked) and sorted (updated, created) without JavaScript.
//!
//! GitHub lists gists most recently updated first and filters nothing: that view is
//! one API page (the fast path, as the benchmarks measure it); a filter or another
//! sort reads the whole list (ETag-cached, so an unchanged list costs no rate limit)
//! and pages it here. Previews come from the search index, never from a request per
//! gist, and only when it holds the revision GitHub listed. GitHub's lists do not say
//! which gists are forks; the search index does (it asks GraphQL once per gist), so the
//! "Forked" filter needs it built, and says so until it is. Star counts come from
//! GraphQL, kept for a minute ([`crate::stars`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use github_api::Gist;
use serde::Deserialize;
use time::OffsetDateTime;

use super::{PER_PAGE, page, title};
use crate::memo::{ListKind, WHOLE_MAX_PAGES, WHOLE_PER_PAGE, Whole};
use crate::routes::Me;
use crate::views::{Layout, format_time, machine_time, relative_time};
use crate::{AppError, AppState};

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    page: Option<String>,
    filter: Option<String>,
    sort: Option<String>,
}

/// Which of the person's gists a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    Public,
    Secret,
    Forked,
}

/// In which order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Updated,
    Created,
}

/// `?page=N` of the lists that are only paged (a person's public gists, discover,
/// history, forks).
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    pub(crate) fn number(&self) -> Result<u32, AppError> {
        page_number(self.page.as_deref())
    }
}

/// A page number as a query gives it: absent is the first.
fn page_number(raw: Option<&str>) -> Result<u32, AppError> {
    match raw {
        None | Some("") => Ok(1),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(|| {
                AppError::BadRequest("The page number must be a positive whole number.".to_owned())
            }),
    }
}

impl ListQuery {
    fn number(&self) -> Result<u32, AppError> {
        page_number(self.page.as_deref())
    }

    fn filter(&self) -> Result<Filter, AppError> {
        match self.filter.as_deref() {
            None | Some("" | "all") => Ok(Filter::All),
            Some("public") => Ok(Filter::Public),
            Some("secret") => Ok(Filter::Secret),
            Some("forked") => Ok(Filter::Forked),
            Some(_) => Err(AppError::BadRequest(
                "The filter must be one of: all, public, secret, forked.".to_owned(),
            )),
        }
    }

    fn sort(&self) -> Result<Sort, AppError> {
        match self.sort.as_deref() {
            None | Some("" | "updated") => Ok(Sort::Updated),
            Some("created") => Ok(Sort::Created),
            Some(_) => Err(AppError::BadRequest(
                "The sort must be one of: updated, created.".to_owned(),
            )),
        }
    }
}

/// One gist in a list.
pub(crate) struct GistSummary {
    id: String,
    title: String,
    public: bool,
    files: Vec<FileSummary>,
    owner: Option<String>,
    comments: u64,
    updated: When,
    created: When,
    starred: bool,
    /// How many people starred it, when GitHub said.
    stars: Option<Stars>,
    /// The first lines of the first file, when the search index holds them.
    preview: Option<Arc<str>>,
}

/// A star count as a row says it: "1 star", "3 stars".
pub(crate) struct Stars(u64);

impl std::fmt::Display for Stars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            1 => f.write_str("1 star"),
            n => write!(f, "{n} stars"),
        }
    }
}

pub(crate) struct FileSummary {
    name: String,
    language: Option<String>,
}

/// A moment as a list shows it: "3 days ago", with the exact time beside it.
pub(crate) struct When {
    relative: String,
    exact: String,
    iso: String,
}

impl When {
    fn of(at: OffsetDateTime, now: OffsetDateTime) -> Self {
        Self {
            relative: relative_time(at, now),
            exact: format_time(at),
            iso: machine_time(at),
        }
    }
}

/// A link of the filter or sort bar.
pub(crate) struct Choice {
    label: &'static str,
    href: String,
    current: bool,
}

/// A numbered link of the pager; `None` stands for the numbers left out.
pub(crate) struct PageLink {
    number: Option<u32>,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "gists/list.html")]
struct ListPage {
    layout: Layout,
    heading: &'static str,
    empty_text: &'static str,
    gists: Vec<GistSummary>,
    filters: Vec<Choice>,
    sorts: Vec<Choice>,
    here: String,
    prev: Option<String>,
    next: Option<String>,
    numbers: Vec<PageLink>,
    cut_short: bool,
    /// The "Forked" filter waits for the search index to be built.
    index_building: bool,
    /// How many gists a filtered list reads at most.
    whole_max: u32,
}

/// Where a list is, with what it shows: the one place its links are spelled.
#[derive(Debug, Clone, Copy)]
struct View {
    kind: ListKind,
    filter: Filter,
    sort: Sort,
}

impl View {
    fn href(self, number: u32) -> String {
        let base = match self.kind {
            ListKind::Mine => "/gists",
            ListKind::Starred => "/gists/starred",
        };
        let mut pairs = Vec::new();
        match self.filter {
            Filter::All => {}
            Filter::Public => pairs.push("filter=public".to_owned()),
            Filter::Secret => pairs.push("filter=secret".to_owned()),
            Filter::Forked => pairs.push("filter=forked".to_owned()),
        }
        if self.sort == Sort::Created {
            pairs.push("sort=created".to_owned());
        }
        if number != 1 {
            pairs.push(format!("page={number}"));
        }
        if pairs.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", pairs.join("&"))
        }
    }

    /// Whether GitHub's own pages are the list (most recently updated first, unfiltered).
    fn is_githubs(self) -> bool {
        self.filter == Filter::All && self.sort == Sort::Updated
    }
}

pub(crate) async fn mine(
    State(state): State<AppState>,
    me: Me,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    list(state, me, query, ListKind::Mine).await
}

pub(crate) async fn starred(
    State(state): State<AppState>,
    me: Me,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    list(state, me, query, ListKind::Starred).await
}

/// One page of a list: its gists, the page numbers (`last` when known) and whether the
/// list was cut short.
struct Slice {
    gists: Rows,
    last: Option<u32>,
    prev: Option<u32>,
    next: Option<u32>,
    cut_short: bool,
}

/// A page's gists: GitHub's page as it is kept (shared, not copied), or those picked
/// from the whole list.
enum Rows {
    Page(Arc<github_api::Page<Gist>>),
    Picked(Vec<Gist>),
}

impl Rows {
    fn gists(&self) -> &[Gist] {
        match self {
            Self::Page(page) => &page.items,
            Self::Picked(gists) => gists,
        }
    }
}

/// What GitHub's list gave: one of its pages as it is, or the whole list to filter or
/// sort here.
enum Listed {
    Page(Slice),
    Whole(Arc<Whole>),
}

async fn list(
    state: AppState,
    me: Me,
    query: ListQuery,
    kind: ListKind,
) -> Result<Response, AppError> {
    let number = query.number()?;
    let view = View {
        kind,
        filter: query.filter()?,
        sort: query.sort()?,
    };
    let memo = state.memo();
    let github = me.github()?;
    let starred_ids = async {
        match kind {
            ListKind::Mine => Some(memo.starred_ids(me.user_id(), &github).await),
            ListKind::Starred => None,
        }
    };
    let listed = async {
        if view.is_githubs() {
            let listed = memo
                .list_page(me.user_id(), kind, number, PER_PAGE, &github)
                .await?;
            Ok::<_, AppError>(Listed::Page(Slice {
                gists: Rows::Page(Arc::clone(&listed)),
                // GitHub leaves `last` out on the last page itself.
                last: listed.last.or(listed.next.is_none().then_some(number)),
                prev: listed.prev,
                next: listed.next,
                cut_short: false,
            }))
        } else {
            Ok(Listed::Whole(
                memo.whole(me.user_id(), kind, &github).await?,
            ))
        }
    };
    let forks = async {
        if view.filter != Filter::Forked {
            return Ok(None);
        }
        state
            .searches()
            .forks(me.user_id(), &github)
            .await
            .map_err(AppError::from)
    };
    let (starred_ids, listed, forks) = tokio::join!(starred_ids, listed, forks);
    let forks = forks?;
    let index_building = view.filter == Filter::Forked && forks.is_none();
    let slice = match listed? {
        Listed::Page(slice) => slice,
        // "Forked" is paged once the index has said which gists are forks.
        Listed::Whole(whole) if index_building => Slice {
            gists: Rows::Picked(Vec::new()),
            last: None,
            prev: None,
            next: None,
            cut_short: whole.cut_short,
        },
        Listed::Whole(whole) => slice_of(
            &whole.gists,
            view,
            forks.as_ref().unwrap_or(&HashSet::new()),
            number,
            whole.cut_short,
        ),
    };

    let (previews, stars) = tokio::join!(
        state
            .previews()
            .of(state.searches(), me.user_id(), &github, slice.gists.gists()),
        state.stars().of(&github, slice.gists.gists()),
    );
    let now = OffsetDateTime::now_utc();
    let gists = slice
        .gists
        .gists()
        .iter()
        .map(|gist| {
            let starred = starred_ids
                .as_ref()
                .is_none_or(|ids| ids.contains(gist.id.as_str()));
            let stars = stars.get(gist.id.as_str()).copied();
            summary(gist, me.login(), (starred, stars), &previews, now)
        })
        .collect();

    let (heading, empty_first) = match (kind, view.filter) {
        (ListKind::Mine, Filter::All) => (
            "Your gists",
            "You have no gists yet. Create one with “New gist”.",
        ),
        (ListKind::Mine, Filter::Public) => ("Your public gists", "You have no public gists."),
        (ListKind::Mine, Filter::Secret) => ("Your secret gists", "You have no secret gists."),
        (ListKind::Starred, Filter::All) => ("Starred gists", "You have not starred any gist yet."),
        (ListKind::Starred, Filter::Public) => (
            "Starred public gists",
            "You have not starred any public gist.",
        ),
        (ListKind::Starred, Filter::Secret) => (
            "Starred secret gists",
            "You have not starred any secret gist.",
        ),
        (ListKind::Mine, Filter::Forked) => ("Your forked gists", "You have not forked any gist."),
        (ListKind::Starred, Filter::Forked) => {
            ("Starred forks", "You have not starred any fork of a gist.")
        }
    };
    page(&ListPage {
        layout: me.layout.clone(),
        heading,
        empty_text: if number == 1 {
            empty_first
        } else {
            "No gists on this page."
        },
        gists,
        filters: filters(view),
        sorts: sorts(view),
        here: view.href(number),
        prev: slice.prev.map(|n| view.href(n)),
        next: slice.next.map(|n| view.href(n)),
        numbers: numbers(view, number, slice.last),
        cut_short: slice.cut_short,
        index_building,
        whole_max: WHOLE_MAX_PAGES * u32::from(WHOLE_PER_PAGE),
    })
}

/// Page `number` of the whole list, filtered and sorted as `view` asks; `forks` are the
/// ids of the gists that are forks.
fn slice_of(
    whole: &[Gist],
    view: View,
    forks: &HashSet<String>,
    number: u32,
    cut_short: bool,
) -> Slice {
    let mut chosen: Vec<&Gist> = whole
        .iter()
        .filter(|gist| match view.filter {
            Filter::All => true,
            Filter::Public => gist.public,
            Filter::Secret => !gist.public,
            Filter::Forked => forks.contains(gist.id.as_str()),
        })
        .collect();
    if view.sort == Sort::Created {
        // Stable: gists created at the same second keep GitHub's order.
        chosen.sort_by_key(|gist| std::cmp::Reverse(gist.created_at));
    }
    let per_page = usize::from(PER_PAGE);
    let last = u32::try_from(chosen.len().div_ceil(per_page).max(1)).unwrap_or(u32::MAX);
    let start = usize::try_from(number - 1)
        .unwrap_or(usize::MAX)
        .saturating_mul(per_page);
    let gists = chosen
        .into_iter()
        .skip(start)
        .take(per_page)
        .cloned()
        .collect();
    Slice {
        gists: Rows::Picked(gists),
        last: Some(last),
        prev: (number > 1).then(|| (number - 1).min(last)),
        next: (number < last).then_some(number + 1),
        cut_short,
    }
}

fn filters(view: View) -> Vec<Choice> {
    [
        ("All", Filter::All),
        ("Public", Filter::Public),
        ("Secret", Filter::Secret),
        ("Forked", Filter::Forked),
    ]
    .into_iter()
    .map(|(label, filter)| Choice {
        label,
        href: View { filter, ..view }.href(1),
        current: view.filter == filter,
    })
    .collect()
}

fn sorts(view: View) -> Vec<Choice> {
    [
        ("Recently updated", Sort::Updated),
        ("Recently created", Sort::Created),
    ]
    .into_iter()
    .map(|(label, sort)| Choice {
        label,
        href: View { sort, ..view }.href(1),
        current: view.sort == sort,
    })
    .collect()
}

/// Page numbers around the current one, with the first and the last always there and
/// gaps (`…`) between; nothing when there is a single page.
fn numbers(view: View, current: u32, last: Option<u32>) -> Vec<PageLink> {
    let last = last.unwrap_or(current).max(current);
    if last <= 1 {
        return Vec::new();
    }
    let shown = |n: u32| n == 1 || n == last || n.abs_diff(current) <= 2;
    let mut links = Vec::new();
    for n in 1..=last {
        if shown(n) {
            links.push(PageLink {
                number: Some(n),
                href: view.href(n),
                current: n == current,
            });
        } else if links
            .last()
            .is_some_and(|link: &PageLink| link.number.is_some())
        {
            links.push(PageLink {
                number: None,
                href: String::new(),
                current: false,
            });
        }
    }
    links
}

/// The owner is shown when the gist is someone else's (a starred gist).
fn summary(
    gist: &Gist,
    me: &str,
    (starred, stars): (bool, Option<u64>),
    previews: &HashMap<String, Arc<str>>,
    now: OffsetDateTime,
) -> GistSummary {
    GistSummary {
        id: gist.id.as_str().to_owned(),
        title: title(gist),
        public: gist.public,
        files: gist
            .files
            .iter()
            .map(|(name, file)| FileSummary {
                name: name.clone(),
                language: file.language.clone(),
            })
            .collect(),
        owner: gist
            .owner
            .as_ref()
            .filter(|owner| owner.login != me)
            .map(|owner| owner.login.clone()),
        comments: gist.comments,
        updated: When::of(gist.updated_at, now),
        created: When::of(gist.created_at, now),
        starred,
        stars: stars.map(Stars),
        preview: previews.get(gist.id.as_str()).cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> View {
        View {
            kind: ListKind::Mine,
            filter: Filter::All,
            sort: Sort::Updated,
        }
    }

    #[test]
    fn links_keep_the_filter_and_sort() {
        let secret_by_creation = View {
            filter: Filter::Secret,
            sort: Sort::Created,
            ..view()
        };
        assert_eq!(view().href(1), "/gists");
        assert_eq!(view().href(3), "/gists?page=3");
        assert_eq!(
            secret_by_creation.href(2),
            "/gists?filter=secret&sort=created&page=2"
        );
        let starred = View {
            kind: ListKind::Starred,
            filter: Filter::Public,
            ..view()
        };
        assert_eq!(starred.href(1), "/gists/starred?filter=public");
    }

    #[test]
    fn page_numbers_keep_the_ends_and_the_neighbours() {
        let shown = |current, last| -> Vec<String> {
            numbers(view(), current, Some(last))
                .iter()
                .map(|link| match link.number {
                    Some(n) if link.current => format!("[{n}]"),
                    Some(n) => n.to_string(),
                    None => "…".to_owned(),
                })
                .collect()
        };
        assert!(shown(1, 1).is_empty(), "one page needs no numbers");
        assert_eq!(shown(1, 3), ["[1]", "2", "3"]);
        assert_eq!(shown(1, 34), ["[1]", "2", "3", "…", "34"]);
        assert_eq!(
            shown(10, 34),
            ["1", "…", "8", "9", "[10]", "11", "12", "…", "34"]
        );
        assert_eq!(shown(34, 34), ["1", "…", "32", "33", "[34]"]);
    }
}
