//! A connection to Synapse that a test can cut and mend: a TCP relay on loopback, so that one
//! client loses the server while the others keep it (Synapse itself keeps running). It
//! answers `/.well-known/matrix/client` itself with 404: Synapse's would send the client to
//! Synapse's own address, around the relay.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};

/// A relay from a port of its own to the server's.
pub struct Link {
    port: u16,
    open: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    acceptor: tokio::task::JoinHandle<()>,
}

impl Link {
    /// Relays to the server at `url` (`http://127.0.0.1:PORT`), open from the start.
    pub async fn to(url: &str) -> Self {
        let target = url::Url::parse(url).expect("the server's URL");
        let target = format!(
            "{}:{}",
            target.host_str().expect("a host"),
            target.port_or_known_default().expect("a port")
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let acceptor = tokio::spawn({
            let (open, connections) = (open.clone(), connections.clone());
            async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !open.load(Ordering::SeqCst) {
                        // Refused as a server that is down would be.
                        drop(inbound);
                        continue;
                    }
                    let target = target.clone();
                    let relay = tokio::spawn(async move {
                        use tokio::io::{AsyncReadExt, AsyncWriteExt};
                        let mut first = vec![0u8; 4096];
                        let Ok(read) = inbound.read(&mut first).await else {
                            return;
                        };
                        first.truncate(read);
                        if first.starts_with(b"GET /.well-known/matrix/client") {
                            let _ = inbound
                                .write_all(
                                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                                )
                                .await;
                            return;
                        }
                        if let Ok(mut outbound) = TcpStream::connect(&target).await
                            && outbound.write_all(&first).await.is_ok()
                        {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    connections.lock().unwrap().push(relay.abort_handle());
                }
            }
        });
        Self {
            port,
            open,
            connections,
            acceptor,
        }
    }

    /// The URL to give the client instead of the server's.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Cuts the connection: open connections close, new ones are dropped at once.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// Lets connections through again.
    pub fn mend(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.acceptor.abort();
        self.cut();
    }
}
