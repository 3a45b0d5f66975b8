//! The session layer: finds the session cookie, hands the request a tower-sessions
//! [`Session`], and after the response saves a changed session and sets (or removes) the
//! cookie.
//!
//! It does what tower-sessions' `SessionManagerLayer` does with this crate's settings,
//! for less work per request, because every signed-in request passes through it:
//!
//! - it reads the one cookie it needs from the `Cookie` header, where the manager parses
//!   every cookie of the request into a jar (`tower-cookies`) first;
//! - it does not open a tracing span per request;
//! - it asks whether the session became empty only when the answer can be yes (no id).
//!
//! One thing it does differently on purpose: the cookie that removes the session cookie
//! carries the same `Secure`, `HttpOnly`, `SameSite` and `Path` as the cookie that set it.
//! A browser refuses a `__Host-` cookie without `Secure`, so a bare removal cookie would
//! leave the stale id behind.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use cookie::Cookie;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use tower::{Layer, Service};
use tower_sessions::session::Id;
use tower_sessions::{Expiry, Session, SessionStore};

use crate::session::site_cookie;

/// The session cookie's settings, fixed when the layer is built.
#[derive(Debug)]
struct CookieSettings {
    name: Cow<'static, str>,
    secure: bool,
    idle: time::Duration,
}

impl CookieSettings {
    /// The cookie that carries `id`, alive for the idle timeout.
    fn cookie(&self, id: Id) -> Cookie<'static> {
        let mut cookie = site_cookie(self.name.clone(), id.to_string(), "/", self.secure);
        cookie.set_max_age(self.idle);
        cookie
    }

    /// The cookie that removes the session cookie from the browser.
    fn removal(&self) -> Cookie<'static> {
        let mut cookie = site_cookie(self.name.clone(), String::new(), "/", self.secure);
        cookie.make_removal();
        cookie
    }

    /// The session cookie in the request, if any: `Some(None)` when it is there but
    /// holds no session id.
    ///
    /// As a cookie jar would, it takes the last cookie of that name and decodes
    /// percent-escapes.
    fn find(&self, headers: &HeaderMap) -> Option<Option<Id>> {
        let mut found: Option<Cow<'_, str>> = None;
        for header in headers.get_all(header::COOKIE) {
            let Ok(header) = header.to_str() else {
                continue;
            };
            if header.contains('%') {
                // Escapes, which no browser needs for this cookie: the cookie crate
                // decodes them.
                for cookie in Cookie::split_parse_encoded(header).flatten() {
                    if cookie.name() == self.name {
                        found = Some(Cow::Owned(cookie.value().to_owned()));
                    }
                }
                continue;
            }
            for pair in header.split(';') {
                if let Some((name, value)) = pair.split_once('=')
                    && name.trim() == self.name
                {
                    found = Some(Cow::Borrowed(value.trim()));
                }
            }
        }
        match found?.parse::<Id>() {
            Ok(id) => Some(Some(id)),
            Err(_) => {
                tracing::warn!("possibly suspicious activity: malformed session id");
                Some(None)
            }
        }
    }
}

/// A layer that gives every request a tower-sessions [`Session`] over `Store`, with the
/// cookie of [`SessionSettings`](crate::SessionSettings). Made by
/// [`GithubLogin::session_layer`](crate::GithubLogin::session_layer).
///
/// After the response, a session that changed is saved and its cookie sent (with the
/// idle timeout as `Max-Age`); a session that ended (signed out, or its id unknown to the
/// store) has its cookie removed. A session that cannot be saved turns the response into
/// a bare `500 Internal Server Error`, as tower-sessions' own layer does.
pub struct SessionLayer<Store> {
    store: Arc<Store>,
    settings: Arc<CookieSettings>,
}

impl<Store> Clone for SessionLayer<Store> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            settings: Arc::clone(&self.settings),
        }
    }
}

impl<Store> std::fmt::Debug for SessionLayer<Store> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionLayer")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<Store: SessionStore> SessionLayer<Store> {
    pub(crate) fn new(
        store: Store,
        name: Cow<'static, str>,
        secure: bool,
        idle: time::Duration,
    ) -> Self {
        Self {
            store: Arc::new(store),
            settings: Arc::new(CookieSettings { name, secure, idle }),
        }
    }
}

impl<S, Store> Layer<S> for SessionLayer<Store> {
    type Service = SessionService<S, Store>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            store: Arc::clone(&self.store),
            settings: Arc::clone(&self.settings),
        }
    }
}

/// The service of [`SessionLayer`].
pub struct SessionService<S, Store> {
    inner: S,
    store: Arc<Store>,
    settings: Arc<CookieSettings>,
}

impl<S: Clone, Store> Clone for SessionService<S, Store> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            store: Arc::clone(&self.store),
            settings: Arc::clone(&self.settings),
        }
    }
}

impl<S, Store> std::fmt::Debug for SessionService<S, Store> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionService")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<S, Store, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S, Store>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send,
    Store: SessionStore,
    ReqBody: Send + 'static,
    ResBody: Default + Send,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let settings = Arc::clone(&self.settings);
        let found = settings.find(request.headers());
        let session = Session::new(
            found.flatten(),
            Arc::clone(&self.store),
            Some(Expiry::OnInactivity(settings.idle)),
        );
        request.extensions_mut().insert(session.clone());
        // The service that was polled ready answers; its clone waits for the next request.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        Box::pin(async move {
            let mut response = inner.call(request).await?;
            // A session with an id is never empty; only one without (none sent, or
            // flushed, or unknown to the store) needs the lock to tell.
            let empty = session.id().is_none() && session.is_empty().await;
            let cookie = if found.is_some() && empty {
                settings.removal()
            } else if session.is_modified() && !empty && !response.status().is_server_error() {
                if let Err(err) = session.save().await {
                    tracing::error!(err = %err, "failed to save session");
                    return Ok(failed());
                }
                let Some(id) = session.id() else {
                    tracing::error!("missing session id");
                    return Ok(failed());
                };
                settings.cookie(id)
            } else {
                return Ok(response);
            };
            match HeaderValue::try_from(cookie.encoded().to_string()) {
                Ok(value) => {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
                Err(_) => {
                    tracing::error!(name = %settings.name, "the session cookie's name cannot be a cookie name");
                }
            }
            Ok(response)
        })
    }
}

/// Marks the response [`SessionLayer`] answers when it could not save a changed session
/// after the handler ran: a bare `500 Internal Server Error`, as tower-sessions' own layer
/// answers, which an application outside the layer can tell by this extension and turn
/// into a page of its own (the store is likely down for a moment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionNotSaved;

/// What the layer answers when the session cannot be saved: see [`SessionNotSaved`].
fn failed<B: Default>() -> Response<B> {
    let mut response = Response::default();
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.extensions_mut().insert(SessionNotSaved);
    response
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;

    fn settings() -> CookieSettings {
        CookieSettings {
            name: Cow::Borrowed("session"),
            secure: false,
            idle: time::Duration::hours(1),
        }
    }

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for cookie in cookies {
            headers.append(
                header::COOKIE,
                HeaderValue::from_str(cookie).expect("a header"),
            );
        }
        headers
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let id = Id(42);
        let s = settings();
        let with = |value: &str| s.find(&headers(&[value]));
        assert_eq!(with(&format!("session={id}")), Some(Some(id)));
        assert_eq!(with(&format!("a=1; session={id}; b=2")), Some(Some(id)));
        assert_eq!(with(&format!("a=1;session={id}")), Some(Some(id)));
        assert_eq!(with(&format!("xsession=1; session={id}")), Some(Some(id)));
        assert_eq!(with("a=1; b=2"), None);
        assert_eq!(with("session=not-an-id"), Some(None));
        assert_eq!(with("session="), Some(None));
        // The last one wins, as in a cookie jar; across headers too.
        assert_eq!(
            s.find(&headers(&["session=bad", &format!("session={id}")])),
            Some(Some(id))
        );
        // Percent-escapes are decoded, in the value and in the name.
        let escaped = id.to_string().replacen('A', "%41", 1);
        assert_eq!(with(&format!("session={escaped}")), Some(Some(id)));
        assert_eq!(with(&format!("s%65ssion={id}")), Some(Some(id)));
    }

    #[test]
    fn cookies_carry_the_settings_and_the_removal_too() {
        let s = CookieSettings {
            name: Cow::Borrowed("__Host-session"),
            secure: true,
            idle: time::Duration::hours(1),
        };
        let set = s.cookie(Id(1)).encoded().to_string();
        assert_eq!(
            set,
            format!(
                "__Host-session={}; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600",
                Id(1)
            )
        );
        let removal = s.removal().encoded().to_string();
        assert!(
            removal.starts_with(
                "__Host-session=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0; Expires="
            ),
            "{removal}"
        );
    }

    type Handler = fn(Request<&'static str>) -> HandlerFuture;
    type HandlerFuture = Pin<Box<dyn Future<Output = Result<Response<String>, Infallible>> + Send>>;

    /// Reads, writes or flushes the session, as the request's body says; answers what
    /// it read.
    fn handler(request: Request<&'static str>) -> HandlerFuture {
        Box::pin(async move {
            let session = request
                .extensions()
                .get::<Session>()
                .cloned()
                .expect("a session");
            let mut read = String::new();
            match *request.body() {
                "read" => read = session.get("k").await.expect("reads").unwrap_or_default(),
                "write" => session.insert("k", "v").await.expect("writes"),
                "flush" => session.flush().await.expect("flushes"),
                _ => {}
            }
            Ok(Response::new(read))
        })
    }

    /// The `Set-Cookie` values and the body of the answer to `act` with `cookie` sent.
    async fn answer<L>(layer: &L, cookie: Option<&str>, act: &'static str) -> (Vec<String>, String)
    where
        L: Layer<tower::util::ServiceFn<Handler>>,
        L::Service: Service<Request<&'static str>, Response = Response<String>, Error = Infallible>,
    {
        use tower::ServiceExt;
        let mut request = Request::new(act);
        if let Some(cookie) = cookie {
            request.headers_mut().insert(
                header::COOKIE,
                HeaderValue::from_str(cookie).expect("a header"),
            );
        }
        let response = layer
            .layer(tower::service_fn(handler as Handler))
            .oneshot(request)
            .await
            .expect("infallible");
        let cookies = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ASCII").to_owned())
            .collect();
        (cookies, response.into_body())
    }

    /// What a browser keeps of a `Set-Cookie`: its attributes, the id as `ID`, a
    /// removal's date cut off. `Cookie` header for the id, if any.
    fn seen(set_cookie: &str) -> (String, Option<String>) {
        let cookie = Cookie::parse(set_cookie.to_owned()).expect("a cookie");
        let id =
            (!cookie.value().is_empty()).then(|| format!("{}={}", cookie.name(), cookie.value()));
        let shown = set_cookie.replace(cookie.value(), if id.is_some() { "ID" } else { "" });
        let shown = shown
            .split("; Expires=")
            .next()
            .unwrap_or_default()
            .to_owned();
        (shown, id)
    }

    /// The same exchanges with tower-sessions' manager and with this layer: the same
    /// cookies, except that this layer's removal also carries the cookie's attributes.
    #[tokio::test]
    async fn answers_as_tower_sessions_does() {
        use tower_sessions::{MemoryStore, SessionManagerLayer};
        let theirs = SessionManagerLayer::new(MemoryStore::default())
            .with_name("session")
            .with_http_only(true)
            .with_same_site(cookie::SameSite::Lax)
            .with_secure(false)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(time::Duration::hours(1)));
        let ours = SessionLayer::new(
            MemoryStore::default(),
            Cow::Borrowed("session"),
            false,
            time::Duration::hours(1),
        );
        let mut transcripts = Vec::new();
        for which in 0..2 {
            let mut log = Vec::new();
            macro_rules! step {
                ($cookie:expr, $act:expr) => {{
                    let (cookies, body) = if which == 0 {
                        answer(&theirs, $cookie, $act).await
                    } else {
                        answer(&ours, $cookie, $act).await
                    };
                    let seen: Vec<_> = cookies.iter().map(|c| seen(c)).collect();
                    log.push(format!(
                        "{} {:?} -> {:?} {body:?}",
                        $act,
                        $cookie.is_some(),
                        seen.iter().map(|s| &s.0).collect::<Vec<_>>()
                    ));
                    seen.into_iter().find_map(|s| s.1)
                }};
            }
            assert_eq!(step!(None::<&str>, "nothing"), None);
            assert_eq!(step!(None::<&str>, "read"), None);
            let id = step!(None::<&str>, "write").expect("a write sets the cookie");
            step!(Some(id.as_str()), "read");
            step!(Some(id.as_str()), "nothing");
            step!(Some(format!("a=1; {id}; b=2").as_str()), "read");
            step!(Some(id.as_str()), "write");
            step!(Some(id.as_str()), "flush");
            step!(Some(id.as_str()), "read");
            step!(Some("session=not-an-id"), "nothing");
            step!(Some("session=AAAAAAAAAAAAAAAAAAAAAA"), "write");
            transcripts.push(log);
        }
        let removal = "session=; Path=/; Max-Age=0";
        let ours_removal = "session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0";
        let theirs = transcripts[0].join("\n").replace(removal, ours_removal);
        assert!(transcripts[0].join("\n").contains(removal), "{theirs}");
        assert_eq!(transcripts[1].join("\n"), theirs);
    }

    /// A store that loads nothing and refuses every save.
    #[derive(Clone, Debug)]
    struct RefusingStore;

    #[async_trait::async_trait]
    impl SessionStore for RefusingStore {
        async fn save(
            &self,
            _: &tower_sessions::session::Record,
        ) -> tower_sessions::session_store::Result<()> {
            Err(tower_sessions::session_store::Error::Backend(
                "down".to_owned(),
            ))
        }
        async fn load(
            &self,
            _: &Id,
        ) -> tower_sessions::session_store::Result<Option<tower_sessions::session::Record>>
        {
            Ok(None)
        }
        async fn delete(&self, _: &Id) -> tower_sessions::session_store::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_session_that_cannot_be_saved_is_a_marked_bare_500() {
        use tower::ServiceExt;
        let layer = SessionLayer::new(
            RefusingStore,
            Cow::Borrowed("session"),
            false,
            time::Duration::hours(1),
        );
        let answer = |act: &'static str| {
            layer
                .layer(tower::service_fn(handler as Handler))
                .oneshot(Request::new(act))
        };
        let refused = answer("write").await.expect("infallible");
        assert_eq!(refused.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            refused.extensions().get::<SessionNotSaved>(),
            Some(&SessionNotSaved)
        );
        assert!(refused.headers().get(header::SET_COOKIE).is_none());
        assert_eq!(refused.into_body(), "");
        // Nothing to save: the handler's answer, unmarked.
        let read = answer("read").await.expect("infallible");
        assert_eq!(read.status(), StatusCode::OK);
        assert!(read.extensions().get::<SessionNotSaved>().is_none());
    }
}
