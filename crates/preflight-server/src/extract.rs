//! Extractors whose rejections are `ApiError`s naming the field and value.

use crate::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A JSON body. A value that does not fit its field is reported with the
/// field's path and the value sent.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected a JSON body with content-type application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("could not read the body: {e}")))?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("body is not valid JSON: {e}")))?;
        match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(parsed) => Ok(Self(parsed)),
            Err(err) => {
                let path = err.path().to_string();
                let secret = is_secret(&path);
                let sent = value_at(&value, &path)
                    .map(|v| shown(v, secret))
                    .unwrap_or_else(|| "(missing)".to_owned());
                let field = if path == "." { "body".to_owned() } else { path };
                // A serde message may quote the value too.
                let why = if secret {
                    "not a valid value".to_owned()
                } else {
                    err.into_inner().to_string()
                };
                Err(ApiError::invalid(
                    field.clone(),
                    format!("invalid {field} {sent}: {why}"),
                ))
            }
        }
    }
}

/// Whether a field holds a secret that no response may echo.
fn is_secret(path: &str) -> bool {
    path.rsplit('.')
        .next()
        .is_some_and(|last| last.contains("credential"))
}

/// A sent value as an error message shows it: short, with every secret
/// (at any depth) replaced, so that no error echoes a credential.
fn shown(value: &serde_json::Value, secret: bool) -> String {
    fn redact(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if is_secret(key) {
                        *v = serde_json::Value::from("(redacted)");
                    } else {
                        redact(v);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
            _ => {}
        }
    }
    if secret {
        return "(redacted)".to_owned();
    }
    let mut value = value.clone();
    redact(&mut value);
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}...", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

/// The JSON value at a serde_path_to_error path such as `window.opens_at` or `people[0].user_id`.
fn value_at<'a>(root: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    if path == "." {
        return Some(root);
    }
    let mut current = root;
    for segment in path.split('.') {
        let (name, indexes) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (segment, ""),
        };
        if !name.is_empty() {
            current = current.get(name)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            current = current.get(index.trim_end_matches(']').parse::<usize>().ok()?)?;
        }
    }
    Some(current)
}

/// Path parameters; a malformed id is a 400 naming the parameter and value.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::bad_request(format!(
                "invalid path parameter: {}",
                rejection.body_text()
            ))),
        }
    }
}

/// Query parameters; a missing or malformed one is a 400 naming it.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::bad_request(format!(
                "invalid query: {}",
                rejection.body_text()
            ))),
        }
    }
}
