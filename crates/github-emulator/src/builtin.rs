//! The built-in seed, so that `gistdesk emulator` is useful with no arguments.
//! Deterministic: the same ids and dates on every start, so links keep working.

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime, macros::datetime};

use crate::seed::{SeedEmail, SeedGist, SeedMember, SeedOrg, SeedSpec, SeedTeam, SeedUser};

const TOPICS: [&str; 10] = [
    "fizzbuzz",
    "quicksort",
    "http server",
    "todo list",
    "word count",
    "fibonacci",
    "json parser",
    "rate limiter",
    "binary search",
    "csv export",
];

fn octocat_gist(n: usize) -> SeedGist {
    let topic = TOPICS[n % TOPICS.len()];
    let slug = topic.replace(' ', "_");
    let mut files = BTreeMap::new();
    match n % 5 {
        0 => {
            files.insert(
                format!("{slug}.md"),
                format!("# {topic}\n\nNotes on **{topic}**, take {n}.\n\n- first\n- second\n\n```rust\nfn main() {{}}\n```\n"),
            );
        }
        1 => {
            files.insert(
                format!("{slug}.rs"),
                format!("// {topic}, take {n}\nfn main() {{\n    println!(\"{topic} {n}\");\n}}\n"),
            );
        }
        2 => {
            files.insert(
                format!("{slug}.py"),
                format!("# {topic}, take {n}\ndef main():\n    print(\"{topic} {n}\")\n\nif __name__ == \"__main__\":\n    main()\n"),
            );
        }
        3 => {
            files.insert(
                format!("{slug}.txt"),
                format!("{topic}\n\nPlain notes, number {n}.\n"),
            );
        }
        _ => {
            files.insert(
                format!("{slug}.rs"),
                format!("pub fn {slug}() -> u32 {{\n    {n}\n}}\n"),
            );
            files.insert(
                "README.md".to_owned(),
                format!("# {topic}\n\nSee `{slug}.rs`.\n"),
            );
            files.insert("run.sh".to_owned(), format!("#!/bin/sh\necho {n}\n"));
        }
    }
    let created = datetime!(2015-03-01 09:00:00 UTC)
        + Duration::days(37 * n as i64)
        + Duration::minutes(n as i64 * 7);
    SeedGist {
        id: None,
        description: if n % 7 == 6 {
            None
        } else {
            Some(format!("{topic} #{n}"))
        },
        public: n % 6 != 5,
        created_at: Some(created),
        updated_at: Some(created + Duration::hours(3 + (n % 11) as i64)),
        files,
        starred_by: if n.is_multiple_of(9) {
            vec!["hubot".to_owned()]
        } else {
            Vec::new()
        },
    }
}

fn user(login: &str, id: u64, name: &str, created: OffsetDateTime, email: SeedEmail) -> SeedUser {
    SeedUser {
        login: login.to_owned(),
        id: Some(id),
        name: Some(name.to_owned()),
        company: Some("@github".to_owned()),
        blog: Some("https://github.blog".to_owned()),
        location: Some("San Francisco".to_owned()),
        bio: None,
        twitter_username: None,
        site_admin: false,
        created_at: Some(created),
        emails: vec![email],
        gists: Vec::new(),
    }
}

pub(crate) fn seed() -> SeedSpec {
    let mut octocat = user(
        "octocat",
        583231,
        "The Octocat",
        datetime!(2011-01-25 18:44:36 UTC),
        SeedEmail {
            email: "octocat@github.com".to_owned(),
            primary: true,
            verified: true,
            visibility: Some("public".to_owned()),
        },
    );
    octocat.emails.push(SeedEmail {
        email: "octocat@users.noreply.github.com".to_owned(),
        primary: false,
        verified: true,
        visibility: None,
    });
    octocat.gists = (0..80).map(octocat_gist).collect();

    let mut hubot = user(
        "hubot",
        480938,
        "Hubot",
        datetime!(2010-11-01 12:00:00 UTC),
        SeedEmail {
            email: "hubot@github.com".to_owned(),
            primary: true,
            verified: true,
            visibility: Some("private".to_owned()),
        },
    );
    hubot.gists = vec![
        SeedGist {
            id: None,
            description: Some("Hubot scripts".to_owned()),
            public: true,
            created_at: Some(datetime!(2016-05-04 10:00:00 UTC)),
            updated_at: None,
            files: BTreeMap::from([(
                "ping.coffee".to_owned(),
                "module.exports = (robot) ->\n  robot.respond /PING$/i, (msg) ->\n    msg.send \"PONG\"\n".to_owned(),
            )]),
            starred_by: vec!["octocat".to_owned()],
        },
        SeedGist {
            id: None,
            description: Some("Secret plans".to_owned()),
            public: false,
            created_at: Some(datetime!(2017-01-02 08:30:00 UTC)),
            updated_at: None,
            files: BTreeMap::from([("plans.txt".to_owned(), "Take over the world.\n".to_owned())]),
            starred_by: Vec::new(),
        },
        SeedGist {
            id: None,
            description: Some("Greeting".to_owned()),
            public: true,
            created_at: Some(datetime!(2018-07-15 16:45:00 UTC)),
            updated_at: None,
            files: BTreeMap::from([("hello.py".to_owned(), "print(\"hello from hubot\")\n".to_owned())]),
            starred_by: Vec::new(),
        },
    ];

    let monalisa = user(
        "monalisa",
        2138,
        "Mona Lisa",
        datetime!(2012-06-01 00:00:00 UTC),
        SeedEmail {
            email: "monalisa@example.com".to_owned(),
            primary: true,
            verified: false,
            visibility: Some("private".to_owned()),
        },
    );

    SeedSpec {
        users: vec![octocat, hubot, monalisa],
        apps: Vec::new(),
        orgs: vec![SeedOrg {
            login: "github".to_owned(),
            id: Some(9919),
            name: Some("GitHub".to_owned()),
            description: Some("How people build software.".to_owned()),
            blog: Some("https://github.blog".to_owned()),
            email: Some("support@github.com".to_owned()),
            members: vec![
                SeedMember {
                    login: "octocat".to_owned(),
                    role: "admin".to_owned(),
                },
                SeedMember {
                    login: "hubot".to_owned(),
                    role: "member".to_owned(),
                },
            ],
            teams: vec![SeedTeam {
                name: "Justice League".to_owned(),
                slug: Some("justice-league".to_owned()),
                id: Some(1),
                description: Some("A great team.".to_owned()),
                members: vec!["octocat".to_owned()],
            }],
        }],
    }
}
