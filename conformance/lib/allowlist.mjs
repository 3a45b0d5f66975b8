// Differences between recorded real GitHub responses (2013–2022) and today's
// GitHub that the emulator is allowed to show. Every field in ADDED must be
// declared by the current OpenAPI schema named in SCHEMA (recorded.test.mjs
// checks that), so this list cannot hide a field the emulator made up.

/** The current OpenAPI schema of each kind of object compared. */
export const SCHEMA = {
  user: "private-user",
  "user-public-view": "private-user",
  "simple-user": "simple-user",
  gist: "gist-simple",
  "gist-item": "base-gist",
  "gist-comment": "gist-comment",
  "gist-commit": "gist-commit",
  "gist-file": null, // inline in gist-simple.files; checked against FILE_FIELDS below
  authorization: "authorization",
  "authorization-app": null, // inline in authorization.app
  "org-membership": "org-membership",
  "organization-simple": "organization-simple",
  "team-full": "team-full",
  "team-organization": "team-organization",
  "rate-limit-overview": "rate-limit-overview",
  "basic-error": "basic-error",
  "validation-error": ["validation-error", "basic-error"],
  "validation-error-item": null, // inline in validation-error.errors
};

/** Fields of a gist file in today's schema (gist-simple.files.*). */
export const FILE_FIELDS = ["filename", "type", "language", "raw_url", "size", "truncated", "content", "encoding"];
/** Fields of authorization.app in today's schema. */
export const APP_FIELDS = ["client_id", "name", "url"];

/** Fields GitHub added after the recordings were made: the emulator may send them. */
export const ADDED = {
  // node_id (2017, GraphQL global ids), twitter_username (2020), notification_email and
  // user_view_type (2024), two_factor_authentication (2014): not in the 2013 recordings.
  user: ["node_id", "twitter_username", "user_view_type", "notification_email", "two_factor_authentication"],
  // The 2022 recording of GET /user was made with a token that sees the public view; the
  // emulator answers a user token with the private view, whose extra fields are these.
  "user-public-view": [
    "collaborators", "disk_usage", "owned_private_repos", "plan", "private_gists", "total_private_repos",
    "two_factor_authentication", "user_view_type", "notification_email",
  ],
  "simple-user": ["node_id", "user_view_type", "starred_at", "name", "email"],
  // node_id (2017); comments_enabled (2023); truncated on list items
  gist: ["node_id", "comments_enabled", "truncated"],
  "gist-item": ["node_id", "comments_enabled", "truncated"],
  // node_id (2017), author_association (2018) and updated_at on comments
  "gist-comment": ["node_id", "author_association", "updated_at"],
  "gist-commit": [],
  // encoding (2024, utf-8 or base64); content/truncated appear on single-gist answers
  "gist-file": ["encoding", "truncated", "content"],
  // expires_at (2021), installation (2020), user (check answers carry the user)
  authorization: ["expires_at", "installation", "user"],
  "authorization-app": [],
  "org-membership": ["permissions"],
  "organization-simple": ["node_id", "hooks_url", "issues_url", "description"],
  "team-full": [
    "node_id", "html_url", "description", "privacy", "notification_setting", "parent", "created_at",
    "updated_at", "ldap_dn", "type", "enterprise_id", "organization_id",
  ],
  // the 2014 recording's team.organization had only login, id, url, avatar_url and a few
  // *_url fields; today's GitHub embeds the full organization
  "team-organization": [
    "archived_at", "blog", "company", "description", "email", "has_organization_projects",
    "has_repository_projects", "hooks_url", "is_verified", "issues_url", "location", "name", "node_id",
    "twitter_username", "created_at", "updated_at", "html_url", "followers", "following", "public_repos",
    "public_gists", "type", "public_members_url", "members_url", "events_url", "repos_url",
  ],
  // `resources` (per-bucket limits, 2014) next to `rate`
  "rate-limit-overview": ["resources"],
  // `status` (2024) next to message and documentation_url
  "basic-error": ["status"],
  // `status` (2024) is sent on every error body; the spec declares it on basic-error only
  "validation-error": ["status"],
  "validation-error-item": ["message"],
};

/** Fields in recordings that today's GitHub no longer sends: the emulator may omit them. */
export const REMOVED = {};

/**
 * Recorded interactions outside the emulator's surface (it emulates users, orgs
 * and teams as read-only, gists with their revisions, forks and comments, and no
 * repositories). Each is matched as "METHOD path-regex".
 */
export const OUT_OF_SCOPE = [
  ["POST", /^\/orgs\/[^/]+\/teams$/, "creating teams is not emulated"],
  ["GET", /^\/orgs\/[^/]+\/teams\/[^/]+\/repos\//, "repositories are not emulated"],
  ["DELETE", /^\/teams\/[^/]+$/, "deleting teams is not emulated"],
];
