//! Every error answer a test meets is checked against the served /openapi.json: the operation it
//! reached must document the status, and that status the code (`src/host/api/error_codes.rs`).
//! So the whole HTTP suite checks the per-operation lists of the document, not one test.

use serde_json::Value;

/// The documented operations of a host: (method, path template, the operation's document).
pub struct Documented(Vec<(String, Vec<String>, Value)>);

impl Documented {
    /// The operations of a served document (none when the host serves none).
    pub fn of(doc: &Value) -> Documented {
        let mut ops = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let segments = path.split('/').map(str::to_owned).collect();
                ops.push((method.to_ascii_uppercase(), segments, op.clone()));
            }
        }
        Documented(ops)
    }

    /// The operation a request reaches: the template that matches with the most literal segments.
    fn reached(&self, method: &str, path: &str) -> Option<&Value> {
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .filter(|(m, template, _)| {
                m == method
                    && template.len() == segments.len()
                    && template
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| t.starts_with('{') || t == s)
            })
            .max_by_key(|(_, template, _)| template.iter().filter(|t| !t.starts_with('{')).count())
            .map(|(_, _, op)| op)
    }

    /// Why an error answer is not what the reached operation documents (`None` when it is, or
    /// when the request reached no documented operation).
    pub fn undocumented(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Option<String> {
        let code = body["error"]["code"].as_str()?;
        let op = self.reached(method, path)?;
        let id = op["operationId"].as_str().unwrap_or("?");
        let Some(answer) = op["responses"].get(status.to_string()) else {
            return Some(format!(
                "{method} {path} ({id}) answered {status} {code}: status not documented"
            ));
        };
        let allowed = &answer["content"]["application/json"]["schema"]["properties"]["error"]
            ["allOf"][1]["properties"]["code"]["enum"];
        let allowed: Vec<&str> = allowed
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        (!allowed.contains(&code)).then(|| {
            format!("{method} {path} ({id}) answered {status} {code}: documented are {allowed:?}")
        })
    }
}
