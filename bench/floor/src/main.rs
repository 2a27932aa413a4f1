//! The floor of bench/run: a minimal HTTP/1.1 server that parses the request, looks up the hash
//! of its method, URI and body among answers recorded from storefront-bff, and writes the stored
//! status, headers and body. What it costs per request is what any Rust gateway on hyper and
//! tokio pays before doing its own work, so "BFF CPU ÷ floor" says how much the BFF adds.
//!
//! `bench-floor <listen address> <answers file>`; the file (written by bench/run) is a sequence
//! of records: `<key length> <status> <header count> <body length>\n`, the key (method, space,
//! URI, newline, request body), then one `name: value\n` line per header, then the body.
//! Unknown requests get 404.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// Requests with larger bodies are refused (bench/run sends a few KiB at most).
const MAX_BODY: usize = 1 << 20;

struct Answer {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

type Answers = HashMap<Vec<u8>, Answer>;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(file)) = (args.next(), args.next()) else {
        eprintln!("usage: bench-floor <listen address> <answers file>");
        return std::process::ExitCode::from(2);
    };
    let result = std::fs::read(&file)
        .map_err(|e| format!("{file}: {e}"))
        .and_then(|raw| parse(&raw).map_err(|e| format!("{file}: {e}")))
        .and_then(|answers| {
            let listen: SocketAddr = listen.parse().map_err(|e| format!("{listen}: {e}"))?;
            eprintln!(
                "bench-floor: {} answers, listening on {listen}",
                answers.len()
            );
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?
                .block_on(serve(listen, Arc::new(answers)))
                .map_err(|e| e.to_string())
        });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-floor: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(listen: SocketAddr, answers: Arc<Answers>) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let answers = Arc::clone(&answers);
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(Arc::clone(&answers), request));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    answers: Arc<Answers>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = request.into_parts();
    let mut key = Vec::with_capacity(1024);
    key.extend_from_slice(parts.method.as_str().as_bytes());
    key.push(b' ');
    key.extend_from_slice(
        parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .as_bytes(),
    );
    key.push(b'\n');
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => key.extend_from_slice(&collected.to_bytes()),
        Err(_) => return Ok(plain(StatusCode::BAD_REQUEST, "unreadable body")),
    }
    let Some(stored) = answers.get(&key) else {
        return Ok(plain(StatusCode::NOT_FOUND, "no stored answer"));
    };
    let mut response = Response::new(Full::new(stored.body.clone()));
    *response.status_mut() = stored.status;
    let headers = response.headers_mut();
    headers.reserve(stored.headers.len());
    for (name, value) in &stored.headers {
        headers.append(name.clone(), value.clone());
    }
    Ok(response)
}

fn plain(status: StatusCode, message: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(message.as_bytes())));
    *response.status_mut() = status;
    response
}

/// Reads the records of the answers file (see the module docs).
fn parse(mut raw: &[u8]) -> Result<Answers, String> {
    let mut answers = HashMap::new();
    while !raw.is_empty() {
        let line = take_line(&mut raw)?;
        let numbers: Vec<usize> = std::str::from_utf8(line)
            .map_err(|e| e.to_string())?
            .split(' ')
            .map(|n| {
                n.parse::<usize>()
                    .map_err(|e| format!("record header: {e}"))
            })
            .collect::<Result<_, _>>()?;
        let &[key_len, status, header_count, body_len] = numbers.as_slice() else {
            return Err("a record header needs four numbers".into());
        };
        let key = take(&mut raw, key_len)?.to_vec();
        let status = u16::try_from(status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .ok_or("invalid status")?;
        let mut headers = Vec::with_capacity(header_count);
        for _ in 0..header_count {
            let line = take_line(&mut raw)?;
            let at = line
                .iter()
                .position(|&b| b == b':')
                .ok_or("header without ':'")?;
            let name = HeaderName::from_bytes(&line[..at]).map_err(|e| e.to_string())?;
            let value =
                HeaderValue::from_bytes(line[at + 1..].trim_ascii()).map_err(|e| e.to_string())?;
            headers.push((name, value));
        }
        let body = Bytes::copy_from_slice(take(&mut raw, body_len)?);
        answers.insert(
            key,
            Answer {
                status,
                headers,
                body,
            },
        );
    }
    Ok(answers)
}

fn take<'a>(raw: &mut &'a [u8], len: usize) -> Result<&'a [u8], String> {
    if raw.len() < len {
        return Err("truncated record".into());
    }
    let (head, rest) = raw.split_at(len);
    *raw = rest;
    Ok(head)
}

fn take_line<'a>(raw: &mut &'a [u8]) -> Result<&'a [u8], String> {
    let end = raw
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("truncated record")?;
    let line = take(raw, end)?;
    *raw = &raw[1..];
    Ok(line)
}
