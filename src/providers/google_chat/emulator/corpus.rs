//! Message templates for the generated history.
//!
//! Placeholders expanded by `seed`: `{m}` mentions another member, `{me}` mentions the primary
//! user (when a member), `{all}` is an @all mention, `{svc}` a service, `{n}` a small number,
//! `{pr}` a pull-request number, `{ver}` a version and `{ts}` the message's own timestamp
//! (for log excerpts). The mix gives search, mention and summary tools realistic material:
//! threads, code blocks, stack traces, links and questions.

use super::data::Topic;

pub const SERVICES: &[&str] = &[
    "payments-api",
    "auth-gateway",
    "search-indexer",
    "notifications",
    "billing-worker",
    "edge-proxy",
    "reporting",
];

pub const EMOJI: &[&str] = &["👍", "🎉", "👀", "✅", "😂", "🙏", "🚀"];

pub fn starters(topic: Topic) -> &'static [&'static str] {
    match topic {
        Topic::Engineering => ENGINEERING,
        Topic::Incidents => INCIDENTS,
        Topic::Design => DESIGN,
        Topic::Random => RANDOM,
        Topic::Sales => SALES,
        Topic::Planning => PLANNING,
        Topic::Direct => DIRECT,
    }
}

pub fn replies(topic: Topic) -> &'static [&'static str] {
    match topic {
        Topic::Incidents => INCIDENT_REPLIES,
        Topic::Random => RANDOM_REPLIES,
        _ => REPLIES,
    }
}

const ENGINEERING: &[&str] = &[
    "PR #{pr} is up for the {svc} retry changes, {m} could you review when you get a chance?",
    "Heads up: I'm cutting release {ver} this afternoon. Anything that still needs to go in?",
    "{me} did we decide whether {svc} moves to the new connection pool this sprint?",
    "CI is red on main again, looks like a flaky integration test in {svc}:\n```\nthread 'pool::tests::reconnect' panicked at src/pool.rs:{n}:9:\nassertion failed: conn.is_healthy()\n```",
    "Reminder that the dependency upgrade freeze starts Friday. {m} please land the tokio bump before then.",
    "{all} the staging database will be read-only from 14:00 to 15:00 UTC for the migration.",
    "I wrote up the plan for splitting {svc} into two deployables: https://docs.example.com/d/{pr}/edit",
    "Anyone seen this before? `error[E0502]: cannot borrow `state` as mutable because it is also borrowed as immutable` after rebasing on main",
    "Latency for {svc} p99 went from 180ms to 240ms after yesterday's deploy. {m} any idea?",
    "Proposal: we stop retrying 4xx responses in the HTTP client entirely, only 429 and 5xx. Thoughts?",
    "Load test results for {ver}: {n}k rps sustained, no errors, memory flat. Nice work everyone 🎉",
    "Can someone with prod access rotate the API key for {svc}? It expires in {n} days. {me}",
    "I'm out tomorrow, {m} is covering code review for the {svc} team.",
    "Here's the config change we talked about:\n```toml\n[pool]\nmax_connections = {n}\nidle_timeout = \"30s\"\n```",
    "Who owns the flaky `test_refresh_token_rotation` test? It failed {n} times this week.",
];

const INCIDENTS: &[&str] = &[
    "🔥 Alert: {svc} error rate above 5% for 10 minutes. Investigating. {me}",
    "Seeing elevated 503s from {svc}:\n```\n{ts} ERROR {svc}: upstream connect error or disconnect/reset before headers. reset reason: connection timeout\n{ts} ERROR {svc}: retry budget exhausted (attempts={n})\n```",
    "Postmortem for last week's {svc} outage is ready for review: https://docs.example.com/pm/{pr} {m}",
    "PagerDuty: {svc} disk usage at 91% on node-{n}. I'll clean up old logs.",
    "{all} incident declared: login failures for a subset of users. Status page updated. Bridge is open.",
    "Certificate for {svc}.example.com expires in {n} days, who is on rotation this week?",
    "Deploy of {ver} to {svc} rolled back after health checks failed:\n```\nReadiness probe failed: HTTP probe failed with statuscode: 500\nBack-off restarting failed container\n```",
    "False alarm on the {svc} latency alert, it was the synthetic check region. Closing.",
    "Customer report: exports from {svc} time out after 30s. {m} can you take a look?",
    "Java heap issue again on {svc}:\n```\njava.lang.OutOfMemoryError: Java heap space\n\tat com.example.reporting.Exporter.flush(Exporter.java:{n})\n```",
];

const INCIDENT_REPLIES: &[&str] = &[
    "Looking into it now.",
    "Mitigated by scaling {svc} to {n} replicas. Root cause still unknown.",
    "Found it: the connection pool was exhausted after the config change. Reverting.",
    "Error rate back to baseline. I'll keep watching for 30 minutes.",
    "{m} can you add this to the postmortem timeline?",
    "Same stack trace in staging:\n```\nError: ECONNRESET\n    at TLSSocket.onConnectEnd (node:_tls_wrap:{n}:19)\n```",
    "Resolved. Writing the postmortem now.",
    "Thanks for jumping on this so fast 🙏",
];

const DESIGN: &[&str] = &[
    "New mockups for the settings page are in Figma: https://figma.example.com/file/{pr} {m} would love your eyes on the empty states.",
    "Design review Thursday: onboarding flow v{n}. Please leave comments in the doc beforehand. {me}",
    "Should the tray menu show the account email or just the display name? I lean towards email.",
    "Accessibility audit results: {n} contrast issues on the dashboard, mostly in the dark theme.",
    "Updated the icon set, the new sign-in glyph is much clearer at 16px.",
    "{me} can you confirm the copy for the re-authentication prompt? Current draft: \"Your session expired. Sign in again to continue.\"",
    "Quick poll: rounded or square avatars in the member list? 👀",
];

const RANDOM: &[&str] = &[
    "Who's in for lunch at the ramen place today?",
    "Happy Friday everyone! Any weekend plans?",
    "The coffee machine on 3 is fixed ☕",
    "Book club: we're reading \"The Mythical Man-Month\" next. Meeting in {n} days.",
    "Congrats to {m} on the new role! 🎉",
    "Reminder: office closes early on the {n}th for the building maintenance.",
    "Anyone have a spare USB-C to HDMI adapter I could borrow?",
    "Photos from the team offsite are in the shared drive 📸",
    "{all} cake in the kitchen for Yuki's birthday!",
];

const RANDOM_REPLIES: &[&str] = &[
    "Count me in!",
    "Haha, amazing 😂",
    "Congrats!!",
    "I have one, come by my desk.",
    "Sounds good.",
    "Next time for sure.",
];

const SALES: &[&str] = &[
    "Q{n} pipeline review moved to Tuesday.",
    "Closed the renewal with Northwind, {n}% uplift.",
    "{m} can you update the forecast sheet before the leadership sync?",
    "Acme wants a security questionnaire before signing. Who has the latest version?",
];

const PLANNING: &[&str] = &[
    "Launch checklist is at {n}/20 items done. Blockers: docs and the pricing page.",
    "Can we move the launch sync to 3pm? {m}",
    "Press embargo lifts Tuesday 9am PT, so the blog post goes out then.",
    "{me} do you have the final numbers for the beta cohort?",
    "Dry run of the demo went well, a few rough edges on the sign-in flow.",
    "I booked the room for the launch retro.",
];

const DIRECT: &[&str] = &[
    "Hey, do you have a minute to talk about the {svc} migration?",
    "Thanks for the review yesterday, I addressed all the comments.",
    "Are you joining the planning meeting or should I take notes?",
    "Can you send me the link to the runbook for {svc}?",
    "Running 5 minutes late to our 1:1.",
    "I pushed the fix, CI should be green in a few minutes.",
    "Lunch tomorrow?",
    "Here's the snippet I mentioned:\n```rust\nlet client = reqwest::Client::builder()\n    .timeout(Duration::from_secs({n}))\n    .build()?;\n```",
    "Did you see the latest numbers for {svc}? Looks like the cache change helped a lot.",
    "Can you cover for me in the incident rotation on the {n}th?",
];

const REPLIES: &[&str] = &[
    "Looks good to me 👍",
    "Thanks, I'll take a look this afternoon.",
    "+1",
    "Agreed. {m} what do you think?",
    "I left a few comments, mostly nits.",
    "Done.",
    "Can we sync on this tomorrow morning?",
    "I think we tried that last quarter and hit rate limits.",
    "Merged 🚀",
    "Not sure, let me check the logs.",
    "{me} FYI",
    "Makes sense. Let's do it.",
    "Tried it locally, works for me:\n```\n$ cargo test -p {svc}\ntest result: ok. {n} passed; 0 failed\n```",
    "Will do.",
];
