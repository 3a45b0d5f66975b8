//! gistdesk's HTTP/1.1 server loop: accepts connections up to a cap, holds each one to a
//! deadline for what it is doing, so clients that send nothing, dribble or idle cannot
//! pile up, and stops within a bounded grace period whatever the clients do. It must never
//! close a connection while a request on it is being answered, until that period is over.
//!
//! `axum::serve` sets no time limit at all. hyper's own `header_read_timeout` is not used
//! either: in hyper 1.12 its timer starts again the moment a kept-alive connection goes
//! idle (`proto/h1/conn.rs`: `State::idle` sets `notify_read` when the timeout is set, and
//! the next `poll_read_head` arms it), so the wait for the next request and the reading of
//! its head would share one budget, and an idle timeout longer than the header timeout
//! could never take effect. Each connection here has one [`Clock`] instead, moved on by its
//! reads, its requests and its responses, and a [`Deadline`] that closes it when the
//! clock's deadline passes.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use futures_util::FutureExt;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower::Service;
use tower::util::{Oneshot, ServiceExt};

use crate::config::ConnectionLimits;

/// Descriptors kept for everything but the connections: the session store's pool and
/// files, the log, the runtime, the built-in emulator's listener.
const RESERVED_DESCRIPTORS: u64 = 64;

/// Serves `service` on `listener` within `limits` until `shutdown` completes; then stops
/// accepting, closes idle connections, lets the requests in flight finish and closes
/// whatever is still open when the shutdown grace period ends. Returns that end, by
/// which the caller's own shutdown work should be done too.
pub async fn serve<S>(
    listener: TcpListener,
    service: S,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> Instant
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let cap = connection_budget(limits.max_connections);
    let mut http = hyper::server::conn::http1::Builder::new();
    // The deadlines are the clock's; hyper's would cut kept-alive connections short.
    http.header_read_timeout(None);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut at_cap = false;
    let mut shutdown = pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        if connections.len() >= cap {
            if !at_cap {
                at_cap = true;
                tracing::warn!(
                    max_connections = cap,
                    "connection limit reached: new connections wait until one closes"
                );
            }
            // Accept nothing until a connection closes: new ones wait in the listen queue.
            tokio::select! {
                () = &mut shutdown => break,
                _ = connections.join_next() => continue,
            }
        }
        // A cap episode lasts until every connection that waited has been accepted.
        let waiting = if at_cap {
            listener.accept().now_or_never()
        } else {
            None
        };
        if at_cap && waiting.is_none() {
            at_cap = false;
            tracing::info!(
                max_connections = cap,
                open = connections.len(),
                "no connection waits any more"
            );
        }
        let accepted = match waiting {
            Some(accepted) => accepted,
            None => tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => accepted,
            },
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) if is_connection_error(&err) => continue,
            Err(err) => {
                // Out of file descriptors or the like: wait for some to be freed.
                tracing::error!(error = %err, "cannot accept connections; trying again in a second");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        let clock = Arc::new(Clock::new(&limits));
        let io = TokioIo::new(ClockedIo {
            stream,
            clock: Arc::clone(&clock),
        });
        let service = ClockedService {
            service: service.clone(),
            clock: Arc::clone(&clock),
            peer,
        };
        let connection = Deadline::new(graceful.watch(http.serve_connection(io, service)), clock);
        connections.spawn(async move {
            match connection.await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::debug!(error = %err, "connection ended"),
                Err(expired) => tracing::debug!("connection closed: {expired}"),
            }
        });
    }
    drop(listener);
    let grace_ends = Instant::now() + limits.shutdown_grace;
    while connections.try_join_next().is_some() {}
    tracing::info!(
        open = connections.len(),
        grace = ?limits.shutdown_grace,
        "stopped accepting connections; requests in flight may finish within the grace period"
    );
    // hyper closes idle connections at once and the others after their response; a
    // request head still arriving keeps its deadline, which may be later than the grace.
    if tokio::time::timeout_at(grace_ends, graceful.shutdown())
        .await
        .is_err()
    {
        while connections.try_join_next().is_some() {}
        tracing::warn!(
            open = connections.len(),
            "connections still open at the end of the shutdown grace period are closed"
        );
    }
    // Dropping a connection closes its socket.
    connections.shutdown().await;
    grace_ends
}

/// `wanted` connections, or fewer when the open-files limit cannot hold them. Each
/// connection may need a second descriptor, for its call to GitHub; the soft limit is
/// raised towards the hard limit as far as that needs first.
fn connection_budget(wanted: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(descriptors_for(wanted)) {
        Ok(limit) => limit,
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the open-files limit; MAX_CONNECTIONS is taken as it is");
            return wanted;
        }
    };
    let budget = connections_within(limit, wanted);
    if budget < wanted {
        tracing::warn!(
            max_connections = wanted,
            open_files_limit = limit,
            serving_at_most = budget,
            "MAX_CONNECTIONS is more than the open-files limit can hold (two per connection, {RESERVED_DESCRIPTORS} for the rest); raise the limit (ulimit -n, LimitNOFILE=) or lower MAX_CONNECTIONS"
        );
    }
    budget
}

/// Open files that `connections` connections may need, with the rest of the process.
fn descriptors_for(connections: usize) -> u64 {
    u64::try_from(connections)
        .unwrap_or(u64::MAX)
        .saturating_mul(2)
        .saturating_add(RESERVED_DESCRIPTORS)
}

/// How many of `wanted` connections an open-files limit of `limit` holds (at least one).
fn connections_within(limit: u64, wanted: usize) -> usize {
    if limit >= descriptors_for(wanted) {
        return wanted;
    }
    usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS) / 2)
        .unwrap_or(wanted)
        .clamp(1, wanted)
}

/// Errors of one incoming connection, not of the listener: accept the next one.
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// What a connection is doing, and so by when it must have done something else.
struct Clock {
    header_read_timeout: Duration,
    idle_timeout: Duration,
    phase: Mutex<Phase>,
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Reading a request head: since the connection opened, or since the first byte of
    /// the next request on a kept-alive one.
    Head { by: Instant },
    /// Requests being answered (responses still being written): no deadline.
    Answering { requests: usize },
    /// Kept alive after a response, nothing of the next request read yet.
    Idle { until: Instant },
}

impl Clock {
    fn new(limits: &ConnectionLimits) -> Self {
        Self {
            header_read_timeout: limits.header_read_timeout,
            idle_timeout: limits.idle_timeout,
            phase: Mutex::new(Phase::Head {
                by: Instant::now() + limits.header_read_timeout,
            }),
        }
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        // Nothing panics while holding the lock; a poisoned phase is still a phase.
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bytes_read(&self) {
        let mut phase = self.phase();
        if let Phase::Idle { .. } = *phase {
            *phase = Phase::Head {
                by: Instant::now() + self.header_read_timeout,
            };
        }
    }

    fn request_started(self: &Arc<Self>) -> InFlight {
        let mut phase = self.phase();
        *phase = match *phase {
            Phase::Answering { requests } => Phase::Answering {
                requests: requests.saturating_add(1),
            },
            Phase::Head { .. } | Phase::Idle { .. } => Phase::Answering { requests: 1 },
        };
        InFlight(Arc::clone(self))
    }

    fn response_done(&self) {
        let mut phase = self.phase();
        if let Phase::Answering { requests } = *phase {
            *phase = if requests > 1 {
                Phase::Answering {
                    requests: requests - 1,
                }
            } else {
                Phase::Idle {
                    until: Instant::now() + self.idle_timeout,
                }
            };
        }
    }

    /// When the connection must be closed if nothing changes, and why.
    fn deadline(&self) -> Option<(Instant, Expired)> {
        match *self.phase() {
            Phase::Head { by } => Some((by, Expired::Head(self.header_read_timeout))),
            Phase::Idle { until } => Some((until, Expired::Idle(self.idle_timeout))),
            Phase::Answering { .. } => None,
        }
    }
}

/// A request being answered, until its response has been written (or dropped).
struct InFlight(Arc<Clock>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.response_done();
    }
}

/// Why a connection was closed by its clock.
#[derive(Debug, Clone, Copy)]
enum Expired {
    Head(Duration),
    Idle(Duration),
}

impl fmt::Display for Expired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Head(after) => write!(
                f,
                "no complete request head within {after:?} (HEADER_READ_TIMEOUT)"
            ),
            Self::Idle(after) => write!(f, "no new request within {after:?} (IDLE_TIMEOUT)"),
        }
    }
}

/// The TCP stream, telling the clock when bytes arrive.
struct ClockedIo {
    stream: TcpStream,
    clock: Arc<Clock>,
}

impl AsyncRead for ClockedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.clock.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for ClockedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// The application as hyper calls it, per request as `TowerToHyperService` would, with
/// the request counted on the clock until its response body is done. Each request
/// carries the connection's peer address as axum's `ConnectInfo` (the access line's
/// client, [`crate::client_addr`]).
struct ClockedService<S> {
    service: S,
    clock: Arc<Clock>,
    peer: SocketAddr,
}

impl<S> hyper::service::Service<hyper::Request<Incoming>> for ClockedService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone,
{
    type Response = hyper::Response<ClockedBody>;
    type Error = Infallible;
    type Future = ClockedFuture<Oneshot<S, Request>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(self.peer));
        ClockedFuture {
            in_flight: Some(self.clock.request_started()),
            response: self.service.clone().oneshot(request),
        }
    }
}

pin_project! {
    /// The application's response, its body carrying the request's [`InFlight`].
    struct ClockedFuture<F> {
        #[pin]
        response: F,
        in_flight: Option<InFlight>,
    }
}

impl<F> Future for ClockedFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<hyper::Response<ClockedBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Poll::Ready(Ok(response)) = this.response.poll(cx) else {
            return Poll::Pending;
        };
        let in_flight = this.in_flight.take();
        Poll::Ready(Ok(response.map(|body| ClockedBody {
            body,
            _in_flight: in_flight,
        })))
    }
}

pin_project! {
    /// A response body; dropped by hyper once written, which ends its request.
    struct ClockedBody {
        #[pin]
        body: Body,
        _in_flight: Option<InFlight>,
    }
}

impl hyper::body::Body for ClockedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        self.project().body.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

pin_project! {
    /// A connection closed when its clock's deadline passes.
    struct Deadline<C> {
        #[pin]
        connection: C,
        clock: Arc<Clock>,
        #[pin]
        timer: Sleep,
        armed: Option<Instant>,
    }
}

impl<C> Deadline<C> {
    fn new(connection: C, clock: Arc<Clock>) -> Self {
        Self {
            connection,
            clock,
            // Set to the clock's deadline before it is first polled.
            timer: tokio::time::sleep_until(Instant::now()),
            armed: None,
        }
    }
}

impl<C: Future> Future for Deadline<C> {
    type Output = Result<C::Output, Expired>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Poll::Ready(output) = this.connection.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        // Every change of phase happens inside that poll (the reads, the application and
        // the response body all run on this task), so the deadline read now is current.
        let Some((deadline, expired)) = this.clock.deadline() else {
            return Poll::Pending;
        };
        if *this.armed != Some(deadline) {
            this.timer.as_mut().reset(deadline);
            *this.armed = Some(deadline);
        }
        match this.timer.poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(expired)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Listens for SIGTERM (what a process manager sends) and Ctrl-C from the moment it
/// returns, so that a signal sent while the caller is still setting up is not missed;
/// the future completes at the first of them.
pub fn listen_for_shutdown() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}

/// Completes on SIGTERM or Ctrl-C, for `serve` and the standalone emulator alike. When
/// the signals cannot be listened for, it says so and never completes: the process then
/// stops only when killed.
pub async fn shutdown_signal() {
    match listen_for_shutdown() {
        Ok(signal) => signal.await,
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for SIGTERM or Ctrl-C; stop the process by killing it");
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_fits_the_open_files_limit() {
        assert_eq!(connections_within(20_000, 4096), 4096);
        assert_eq!(connections_within(8256, 4096), 4096);
        assert_eq!(connections_within(8255, 4096), 4095);
        assert_eq!(connections_within(1024, 4096), 480);
        assert_eq!(connections_within(10, 4096), 1);
        assert_eq!(connections_within(u64::MAX, usize::MAX), usize::MAX);
    }
}
