//! The loopback redirect listener of the installed-app OAuth flow (RFC 8252 §7.3).
//!
//! It binds loopback only (127.0.0.1, plus ::1 when the redirect names `localhost`; never a
//! wildcard address, so nothing off this machine can reach it), on an ephemeral port unless
//! the provider matches redirect URIs exactly (Slack: the registered port), lives only while
//! one sign-in waits, and hands every meaningful request to the flow: `GET <path>` carrying
//! `code`, `state` or `error`. The flow answers a redirect that is not from its sign-in with
//! an error page and keeps waiting, so a stray request cannot end a sign-in. Other paths
//! (`/favicon.ico`) and a bare path get a 404. The browser's request is held open until the
//! flow has exchanged the code, so the page it shows tells the truth about the outcome.
//!
//! Dropping a `Listener` aborts the server, so a cancelled sign-in never leaves a port open;
//! `shutdown` additionally waits until the socket is closed.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use url::Url;

/// How long the browser's request waits for the flow to finish the code exchange.
const REPLY_WAIT: Duration = Duration::from_secs(60);
/// How long `shutdown` lets the last response drain before cutting connections.
const DRAIN_WAIT: Duration = Duration::from_secs(2);

/// The parameters of the redirect, exactly as received. `code` is secret (it can be
/// exchanged for tokens by anyone holding the PKCE verifier), so it is kept as one.
#[derive(Debug, Default)]
pub(crate) struct CallbackParams {
    pub code: Option<SecretString>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// A parameter we rely on appeared twice: not a response a real provider sends.
    pub duplicated: bool,
}

/// What the browser tab shows at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Page {
    SignedIn,
    Cancelled,
    /// The response did not belong to the current sign-in.
    Foreign,
    /// Anything else; the text is a short, already sanitized reason.
    Failed(String),
}

/// One meaningful redirect; answer it with `respond`.
pub(crate) struct Callback {
    pub params: CallbackParams,
    reply: oneshot::Sender<Page>,
}

impl Callback {
    pub fn respond(self, page: Page) {
        // The browser may have gone away; the flow's own result is what matters.
        let _ = self.reply.send(page);
    }
}

/// Where the provider sends the browser back, as registered with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redirect {
    pub host: RedirectHost,
    /// A fixed port, for providers that match the redirect URI exactly; `None`: ephemeral.
    pub port: Option<u16>,
    /// The redirect's path (`/`, `/callback`).
    pub path: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectHost {
    /// `http://127.0.0.1:PORT…` (Google's loopback form).
    Ip,
    /// `http://localhost:PORT…` (Slack, Microsoft).
    Localhost,
}

impl Redirect {
    /// `http://127.0.0.1:<ephemeral>/`.
    pub const LOOPBACK_IP: Redirect = Redirect {
        host: RedirectHost::Ip,
        port: None,
        path: "/",
    };
}

pub(crate) struct Listener {
    port: u16,
    redirect: Redirect,
    callbacks: mpsc::Receiver<Callback>,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    tasks: Vec<JoinHandle<()>>,
}

struct Shared {
    sender: mpsc::Sender<Callback>,
    path: &'static str,
}

impl Listener {
    pub async fn bind(redirect: Redirect) -> Result<Self, super::OAuthError> {
        let wanted = redirect.port.unwrap_or(0);
        let v4 = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, wanted))
            .await
            .map_err(|e| match (redirect.port, e.kind()) {
                (Some(port), std::io::ErrorKind::AddrInUse) => {
                    super::OAuthError::PortInUse { port }
                }
                _ => super::OAuthError::Listener(e),
            })?;
        let port = v4.local_addr().map_err(super::OAuthError::Listener)?.port();
        let mut sockets = vec![v4];
        // `localhost` may resolve to ::1 first in the browser; answer there too when we can.
        if redirect.host == RedirectHost::Localhost
            && let Ok(v6) =
                tokio::net::TcpListener::bind((std::net::Ipv6Addr::LOCALHOST, port)).await
        {
            sockets.push(v6);
        }
        // Room for a few stray requests while the flow answers; more just wait their turn.
        let (callback_tx, callback_rx) = mpsc::channel(4);
        let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
        let shared = Arc::new(Shared {
            sender: callback_tx,
            path: redirect.path,
        });
        let app = axum::Router::new().fallback(handle).with_state(shared);
        let tasks = sockets
            .into_iter()
            .map(|socket| {
                let mut stop = shutdown_rx.clone();
                let server = axum::serve(socket, app.clone()).with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|stop| *stop).await;
                });
                tokio::spawn(async move {
                    if let Err(e) = server.await {
                        tracing::debug!(error = %e, "sign-in listener stopped");
                    }
                })
            })
            .collect();
        Ok(Self {
            port,
            redirect,
            callbacks: callback_rx,
            shutdown: Some(shutdown_tx),
            tasks,
        })
    }

    /// The redirect URI to send in the authorization request, e.g. `http://127.0.0.1:PORT/`
    /// or `http://localhost:53682/callback`.
    pub fn redirect_uri(&self) -> Url {
        let host = match self.redirect.host {
            RedirectHost::Ip => "127.0.0.1",
            RedirectHost::Localhost => "localhost",
        };
        Url::parse(&format!(
            "http://{host}:{}{}",
            self.port, self.redirect.path
        ))
        .expect("a loopback URL with a port is valid")
    }

    /// Waits for the next meaningful redirect. `None` if the server stopped first.
    pub async fn next_callback(&mut self) -> Option<Callback> {
        self.callbacks.recv().await
    }

    /// Stops accepting, lets an answered request finish, and returns once the port is closed.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        for mut task in std::mem::take(&mut self.tasks) {
            if tokio::time::timeout(DRAIN_WAIT, &mut task).await.is_err() {
                task.abort();
                let _ = task.await;
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    let query = uri.query().unwrap_or("");
    let params = parse(query);
    let meaningful = params.code.is_some() || params.state.is_some() || params.error.is_some();
    if method != Method::GET || uri.path() != shared.path || !meaningful {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    let (reply_tx, reply_rx) = oneshot::channel();
    if shared
        .sender
        .send(Callback {
            params,
            reply: reply_tx,
        })
        .await
        .is_err()
    {
        return page(
            StatusCode::GONE,
            &Page::Failed("This sign-in has already finished.".to_owned()),
        );
    }
    let outcome = match tokio::time::timeout(REPLY_WAIT, reply_rx).await {
        Ok(Ok(outcome)) => outcome,
        _ => Page::Failed("See the terminal or the chatkey menu for details.".to_owned()),
    };
    let status = match outcome {
        Page::SignedIn => StatusCode::OK,
        Page::Cancelled => StatusCode::OK,
        Page::Foreign => StatusCode::BAD_REQUEST,
        Page::Failed(_) => StatusCode::BAD_GATEWAY,
    };
    page(status, &outcome)
}

fn parse(query: &str) -> CallbackParams {
    let mut p = CallbackParams::default();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot_taken = match key.as_ref() {
            "code" => p
                .code
                .replace(SecretString::from(value.into_owned()))
                .is_some(),
            "state" => p.state.replace(value.into_owned()).is_some(),
            "error" => p.error.replace(value.into_owned()).is_some(),
            "error_description" => p.error_description.replace(value.into_owned()).is_some(),
            _ => false,
        };
        p.duplicated |= slot_taken;
    }
    p
}

/// A small self-contained page: no scripts, no external resources, nothing to leak the URL
/// (which carries the code) through a Referer.
fn page(status: StatusCode, outcome: &Page) -> Response {
    let (title, body) = match outcome {
        Page::SignedIn => (
            "You're signed in to chatkey",
            "You can close this tab and go back to your assistant.".to_owned(),
        ),
        Page::Cancelled => (
            "Sign-in was cancelled",
            "Nothing was stored. Run the sign-in again when you are ready.".to_owned(),
        ),
        Page::Foreign => (
            "This sign-in link is not from chatkey's current sign-in",
            "Nothing was stored. Start a new sign-in from chatkey and use the link it shows."
                .to_owned(),
        ),
        Page::Failed(reason) => (
            "Sign-in did not complete",
            html_escape::encode_text(reason).into_owned(),
        ),
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
<style>body{{font-family:system-ui,sans-serif;margin:0;display:flex;min-height:100vh;\
align-items:center;justify-content:center;background:#f6f7f9;color:#1f2328}}\
main{{max-width:32rem;padding:2rem;background:#fff;border-radius:12px;\
box-shadow:0 1px 4px rgba(0,0,0,.12)}}h1{{font-size:1.4rem;margin-top:0}}</style></head>\
<body><main><h1>{title}</h1><p>{body}</p></main></body></html>"
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    let set = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Closing the connection lets the listener shut down without waiting for keep-alive.
        (header::CONNECTION, "close"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn parses_and_flags_duplicates() {
        let p = parse("code=4%2Fabc&state=xyz&scope=a+b");
        assert_eq!(p.code.unwrap().expose_secret(), "4/abc");
        assert_eq!(p.state.as_deref(), Some("xyz"));
        assert!(!p.duplicated);
        assert!(parse("state=a&state=b").duplicated);
    }

    #[tokio::test]
    async fn ignores_other_paths_and_serves_one_callback() {
        let mut listener = Listener::bind(Redirect::LOOPBACK_IP).await.unwrap();
        let base = listener.redirect_uri();
        assert_eq!(base.host_str(), Some("127.0.0.1"));
        let client = reqwest::Client::new();
        let favicon = client.get(base.join("favicon.ico").unwrap()).send();
        assert_eq!(favicon.await.unwrap().status(), 404);
        assert_eq!(client.get(base.clone()).send().await.unwrap().status(), 404);

        let browser = tokio::spawn({
            let url = format!("{base}?state=s&error=access_denied");
            let client = client.clone();
            async move {
                let r = client.get(url).send().await.unwrap();
                (r.status(), r.text().await.unwrap())
            }
        });
        let cb = listener.next_callback().await.unwrap();
        assert_eq!(cb.params.error.as_deref(), Some("access_denied"));
        cb.respond(Page::Cancelled);
        let (status, text) = browser.await.unwrap();
        assert_eq!(status, 200);
        assert!(text.contains("Sign-in was cancelled"));
        assert!(!text.contains("http"), "no external resources: {text}");

        let port = listener.redirect_uri().port().unwrap();
        listener.shutdown().await;
        assert!(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn failure_text_is_escaped() {
        let r = page(
            StatusCode::BAD_GATEWAY,
            &Page::Failed("<script>x</script>".into()),
        );
        let body = axum::body::to_bytes(r.into_body(), 10_000).await.unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(!body.contains("<script>"));
        assert!(body.contains("&lt;script&gt;"));
    }
}
