//! People API: names for Chat's `users/{id}`, field masks and batch limits.

use chatkey::providers::google_chat::emulator::data;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn get_person_and_me() {
    let h = start().await;
    let api = Api::new(&h).await;
    let (s, p) = api
        .get(&format!(
            "/v1/people/{}?personFields=names,emailAddresses",
            data::PRIYA
        ))
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["resourceName"], format!("people/{}", data::PRIYA));
    assert!(p["etag"].is_string());
    let name = &p["names"][0];
    assert_eq!(
        (
            name["displayName"].as_str(),
            name["givenName"].as_str(),
            name["familyName"].as_str()
        ),
        (Some("Priya Natarajan"), Some("Priya"), Some("Natarajan"))
    );
    assert_eq!(
        name["metadata"],
        json!({"primary": true, "source": {"type": "PROFILE", "id": data::PRIYA}})
    );
    assert_eq!(
        p["emailAddresses"][0]["value"],
        "priya.natarajan@example.com"
    );
    let (_, me) = api.get("/v1/people/me?personFields=names").await;
    assert_eq!(me["resourceName"], format!("people/{}", data::PRIMARY_USER));
    assert!(
        me.get("emailAddresses").is_none(),
        "only the fields asked for"
    );
    let (s, b) = api.get(&format!("/v1/people/{}", data::PRIYA)).await;
    assert_eq!(
        (s, b["error"]["status"].as_str()),
        (400, Some("INVALID_ARGUMENT"))
    );
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("personFields mask is required")
    );
    assert_eq!(
        api.get(&format!(
            "/v1/people/{}?personFields=names,shoeSize",
            data::PRIYA
        ))
        .await
        .0,
        400
    );
    assert_eq!(
        api.get("/v1/people/100000000000000000000?personFields=names")
            .await
            .0,
        404
    );
    // Emails of others need a directory (or contacts) scope.
    let t = sign_in(
        &h,
        &[(
            "scope",
            "openid email profile https://www.googleapis.com/auth/chat.messages",
        )],
    )
    .await;
    let narrow = Api::with_token(&h, &t.access);
    let (_, p) = narrow
        .get(&format!(
            "/v1/people/{}?personFields=names,emailAddresses",
            data::PRIYA
        ))
        .await;
    assert!(p.get("emailAddresses").is_none());
    let (_, me) = narrow
        .get("/v1/people/me?personFields=emailAddresses")
        .await;
    assert_eq!(me["emailAddresses"][0]["value"], data::PRIMARY_EMAIL);
}

#[tokio::test]
async fn batch_get() {
    let h = start().await;
    let api = Api::new(&h).await;
    let (s, b) = api
        .get(&format!("/v1/people:batchGet?resourceNames=people/{}&resourceNames=people/me&resourceNames=people/123&personFields=names", data::MARCUS))
        .await;
    assert_eq!(s, 200, "{b}");
    let r = b["responses"].as_array().unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!(
        r[0]["requestedResourceName"],
        format!("people/{}", data::MARCUS)
    );
    assert_eq!(r[0]["httpStatusCode"], 200);
    assert_eq!(r[0]["person"]["names"][0]["displayName"], "Marcus Chen");
    assert_eq!(r[1]["requestedResourceName"], "people/me");
    assert_eq!(
        r[1]["person"]["resourceName"],
        format!("people/{}", data::PRIMARY_USER)
    );
    assert_eq!(r[2]["httpStatusCode"], 404);
    assert_eq!(r[2]["status"]["code"], 5);
    assert!(r[2].get("person").is_none());
    let many: String = (0..201)
        .map(|i| format!("resourceNames=people/{i}&"))
        .collect();
    let (s, b) = api
        .get(&format!("/v1/people:batchGet?{many}personFields=names"))
        .await;
    assert_eq!(
        (s, b["error"]["status"].as_str()),
        (400, Some("INVALID_ARGUMENT"))
    );
    assert_eq!(
        api.get("/v1/people:batchGet?personFields=names").await.0,
        400
    );
    assert_eq!(
        api.get("/v1/people:batchGet?resourceNames=users/1&personFields=names")
            .await
            .0,
        400
    );
}
