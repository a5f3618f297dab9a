//! The real `simfra` binary as a child process (restart and `kill -9` tests).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `simfra` process, killed when dropped (also when a test fails).
pub struct Simfra {
    pub child: Child,
    pub port: u16,
}

impl Simfra {
    /// Starts the binary on a free port with `SIMFRA_DATA_DIR` and extra environment.
    pub fn start_with(data_dir: &Path, env: &[(&str, &str)]) -> Simfra {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_simfra"));
        cmd.env("SIMFRA_DATA_DIR", data_dir)
            .env("SIMFRA_PORT", port.to_string())
            .env("SIMFRA_HOST", "127.0.0.1")
            .env("SIMFRA_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("the simfra binary starts");
        let mut s = Simfra { child, port };
        s.wait_healthy();
        s
    }

    pub fn start(data_dir: &Path) -> Simfra {
        Self::start_with(data_dir, &[])
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("simfra exited during start-up: {status}");
            }
            if health(self.port) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("simfra did not answer /_simfra/health within 30 s");
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Simfra {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn health(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let req = format!(
        "GET /_simfra/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200")
}
