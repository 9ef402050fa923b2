//! Message templates for the generated history, written in Slack's stored form (mrkdwn with
//! `&amp;`, `&lt;`, `&gt;` escaped, as the Web API returns text).
//!
//! Placeholders expanded by `seed`: `{me}` mentions the signed-in user (`<@U…>`, when a member
//! and not the sender), `{m}` another member, `{here}` is `<!here>`, `{channel}` is
//! `<!channel>`, `{#eng}` / `{#incidents}` / `{#random}` link a channel (`<#C…|eng>`), `{svc}`
//! a service, `{n}` a small number, `{pr}` a pull-request number, `{ver}` a version.

use super::data::Topic;

pub const SERVICES: &[&str] = &[
    "payments-api",
    "auth-gateway",
    "search-indexer",
    "notifications",
    "billing-worker",
    "edge-proxy",
];

/// Reaction names the seed uses (standard Slack names and one custom emoji).
pub const REACTIONS: &[&str] = &[
    "+1",
    "tada",
    "eyes",
    "white_check_mark",
    "joy",
    "pray",
    "rocket",
    "shipit",
];

pub fn starters(topic: Topic) -> &'static [&'static str] {
    match topic {
        Topic::General => GENERAL,
        Topic::Engineering => ENGINEERING,
        Topic::Incidents => INCIDENTS,
        Topic::Random => RANDOM,
        Topic::Design => DESIGN,
        Topic::Project => PROJECT,
        Topic::Leadership => LEADERSHIP,
        Topic::Sales => SALES,
        Topic::Direct => DIRECT,
        Topic::Planning => PLANNING,
    }
}

pub fn replies(topic: Topic) -> &'static [&'static str] {
    match topic {
        Topic::Incidents => INCIDENT_REPLIES,
        Topic::Random | Topic::General => CASUAL_REPLIES,
        _ => REPLIES,
    }
}

const GENERAL: &[&str] = &[
    "{channel} all-hands moves to Thursday 17:00 UTC this week. Agenda: <https://docs.example.com/d/allhands|all-hands doc>",
    "Welcome to our new teammates! Say hi in {#random} :wave:",
    "Reminder: benefits enrollment closes Friday. Questions -&gt; {m}",
    "Office is closed on Monday for the holiday. Q&amp;A about the new PTO policy in the thread.",
    "The wifi password changed, it's on the board by the kitchen.",
];

const ENGINEERING: &[&str] = &[
    "PR <https://github.com/acme/{svc}/pull/{pr}|#{pr}> is up for the {svc} retry changes, {m} could you review?",
    "Heads up: I'm cutting release {ver} this afternoon. Anything that still needs to go in?",
    "{me} did we decide whether {svc} moves to the new connection pool this sprint?",
    "CI is red on main again, flaky integration test in {svc}:\n```thread 'pool::tests::reconnect' panicked at src/pool.rs:{n}:9:\nassertion failed: conn.is_healthy()```",
    "Reminder that the dependency freeze starts Friday. {m} please land the tokio bump before then.",
    "{here} staging database is read-only from 14:00 to 15:00 UTC for the migration.",
    "Plan for splitting {svc} into two deployables: <https://docs.example.com/d/{pr}/edit|design doc>",
    "Latency for {svc} p99 went from 180ms to 240ms after yesterday's deploy. {m} any idea?",
    "Proposal: stop retrying 4xx responses in the HTTP client, only 429 &amp; 5xx. Thoughts?",
    "Load test for {ver}: {n}k rps sustained, error rate &lt; 0.1%, memory flat. Nice work everyone :tada:",
    "Can someone with prod access rotate the API key for {svc}? It expires in {n} days. {me}",
    "Config change we talked about:\n```[pool]\nmax_connections = {n}\nidle_timeout = \"30s\"```",
    "Who owns the flaky `test_refresh_token_rotation` test? It failed {n} times this week.",
    "Incident follow-ups are tracked in {#incidents}, please keep them out of this channel.",
];

const INCIDENTS: &[&str] = &[
    ":rotating_light: {svc} error rate above 5% for 10 minutes. Investigating. {me}",
    "Seeing elevated 503s from {svc}: `upstream connect error or disconnect/reset before headers`",
    "Postmortem for last week's {svc} outage is ready: <https://docs.example.com/pm/{pr}|PM-{pr}> {m}",
    "PagerDuty: {svc} disk usage at 91% on node-{n}. Cleaning up old logs.",
    "{channel} incident declared: login failures for a subset of users. Status page updated.",
    "Certificate for {svc}.example.com expires in {n} days, who is on rotation this week?",
    "Deploy of {ver} to {svc} rolled back after health checks failed.",
    "False alarm on the {svc} latency alert, it was the synthetic check region. Closing.",
];

const INCIDENT_REPLIES: &[&str] = &[
    "Looking into it now.",
    "Mitigated by scaling {svc} to {n} replicas. Root cause still unknown.",
    "Found it: the connection pool was exhausted after the config change. Reverting.",
    "Error rate back to baseline. I'll keep watching for 30 minutes.",
    "{m} can you add this to the postmortem timeline?",
];

const RANDOM: &[&str] = &[
    "Anyone up for lunch at the ramen place on 5th?",
    "Photos from the offsite are up :camera_with_flash: <https://photos.example.com/offsite|album>",
    "Book club pick for next month: _The Phoenix Project_. {m} you suggested it!",
    "Who left the sourdough starter in the fridge? It's alive &amp; growing.",
    "Friendly reminder that the coffee machine descaling is Tuesday :coffee:",
];

const CASUAL_REPLIES: &[&str] = &[
    "I'm in!",
    "Ha, classic.",
    "+1 to that",
    "Thanks for sharing!",
    "{m} you'll like this one",
];

const DESIGN: &[&str] = &[
    "New mocks for the settings page are in Figma: <https://figma.example.com/f/{pr}|settings v{n}>",
    "Crit on Thursday: onboarding flow. {m} can you bring the research notes?",
    "Contrast on the secondary buttons fails WCAG AA, fixing in the next iteration.",
];

const PROJECT: &[&str] = &[
    "Billing rewrite is live for {n}% of accounts.",
    "Migration script finished, {n} invoices backfilled.",
    "Closing this channel out, thanks all! Follow-ups in {#eng}.",
];

const LEADERSHIP: &[&str] = &[
    "Headcount plan for next quarter is in the shared folder. {me} please add the platform asks.",
    "Performance review calibration moves to the 14th.",
    "Offsite budget approved :tada: {m} will send the survey.",
];

const SALES: &[&str] = &[
    "Globex renewal signed, {n}% uplift :moneybag:",
    "Forecast call moved to 10:00. {m} can you update the pipeline sheet?",
    "Initech wants a security questionnaire by Friday.",
];

const DIRECT: &[&str] = &[
    "Do you have 15 minutes for a quick sync today?",
    "Thanks for the review on #{pr}!",
    "Can you take a look at the {svc} dashboard when you get a chance?",
    "Running 5 minutes late, start without me.",
    "Sent you the doc, let me know what you think.",
    "Are you going to the all-hands in person?",
];

const PLANNING: &[&str] = &[
    "Launch checklist for {ver} is in the doc, please tick your items.",
    "Should we move the launch to Wednesday? {m}",
    "Marketing needs the release notes by Tuesday.",
];

const REPLIES: &[&str] = &[
    "Looks good to me :+1:",
    "I'll take a look after lunch.",
    "Yes, we agreed to do it this sprint.",
    "Not yet, blocked on the infra ticket.",
    "{m} might know more about this one.",
    "Done, merged.",
    "Can we sync on this tomorrow?",
    "Same here, I saw it on {svc} too.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_escaped_mrkdwn() {
        let all = [
            GENERAL,
            ENGINEERING,
            INCIDENTS,
            INCIDENT_REPLIES,
            RANDOM,
            CASUAL_REPLIES,
            DESIGN,
            PROJECT,
            LEADERSHIP,
            SALES,
            DIRECT,
            PLANNING,
            REPLIES,
        ];
        for t in all.iter().flat_map(|l| l.iter()) {
            // Every `<` opens Slack markup and every `&` an entity, as Slack stores text.
            for (i, _) in t.match_indices('&') {
                let rest = &t[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;"]
                        .iter()
                        .any(|e| rest.starts_with(e)),
                    "{t}"
                );
            }
            for (i, _) in t.match_indices('<') {
                let rest = &t[i + 1..];
                assert!(
                    ["http", "@", "#", "!"].iter().any(|p| rest.starts_with(p)),
                    "{t}"
                );
            }
        }
    }
}
