//! Named-pipe transport for Windows.
//!
//! Named pipes live in one machine-wide namespace, so the directory fence Unix has does not
//! exist here. Instead: the first instance is created with `FILE_FLAG_FIRST_PIPE_INSTANCE` (a
//! squatter makes `bind` fail instead of sharing the name), every instance carries a DACL that
//! grants access to the current user only, remote clients are rejected, and each side checks
//! that the process at the other end runs as the same user.

use std::ffi::OsString;
use std::io;
use std::os::windows::io::AsRawHandle;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::windows::named_pipe::{
    ClientOptions, NamedPipeClient, NamedPipeServer, ServerOptions,
};
use tokio::sync::Mutex;
use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_ACCESS_DENIED, ERROR_PIPE_BUSY, HANDLE, LocalFree,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, GetSecurityInfo,
    SDDL_REVISION_1, SE_KERNEL_OBJECT,
};
use windows_sys::Win32::Security::{
    GetLengthSid, GetTokenInformation, OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID,
    SECURITY_ATTRIBUTES, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::System::Pipes::{GetNamedPipeClientProcessId, GetNamedPipeServerProcessId};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, OpenProcess, OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION,
};

/// How long `connect` waits for a free pipe instance while the daemon is between accepts.
const BUSY_WAIT: Duration = Duration::from_secs(2);

/// One accepted or dialled pipe connection: a byte stream both ways.
#[derive(Debug)]
pub enum Connection {
    Server(NamedPipeServer),
    Client(NamedPipeClient),
}

/// The daemon's pipe. Windows removes the name when the last instance closes.
#[derive(Debug)]
pub struct Listener {
    name: OsString,
    /// The instance waiting for the next client; replaced by a fresh one on every accept.
    next: Mutex<NamedPipeServer>,
    own_sid: Vec<u8>,
}

impl Listener {
    /// Creates the first pipe instance. Fails if any other process already serves the name.
    pub fn bind(path: &Path) -> io::Result<Listener> {
        let name = path.as_os_str().to_owned();
        let first = create_instance(&name, true).map_err(|e| {
            if e.raw_os_error() == Some(ERROR_ACCESS_DENIED as i32) {
                io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!(
                        "another process already serves {}: stop it or set CHATKEY_PROFILE",
                        path.display()
                    ),
                )
            } else {
                e
            }
        })?;
        Ok(Listener {
            name,
            next: Mutex::new(first),
            own_sid: current_user_sid()?,
        })
    }

    /// Accepts the next client running as the current user; others are dropped and logged.
    pub async fn accept(&self) -> io::Result<Connection> {
        let mut next = self.next.lock().await;
        loop {
            let connected = next.connect().await;
            // Whatever happened, that instance is used up; put a fresh one in its place
            // before anything else so the pipe name never disappears between clients.
            let fresh = create_instance(&self.name, false)?;
            let server = std::mem::replace(&mut *next, fresh);
            connected?;
            let mut pid = 0u32;
            // SAFETY: the handle is a live pipe instance owned by `server`; `pid` is a valid
            // out-pointer.
            let known = unsafe { GetNamedPipeClientProcessId(raw(&server), &mut pid) } != 0;
            match known.then(|| process_user_sid(pid)) {
                Some(Ok(sid)) if sid == self.own_sid => {
                    return Ok(Connection::Server(server));
                }
                Some(Ok(_)) => {
                    tracing::warn!(peer_pid = pid, "dropped a connection from another user")
                }
                _ => tracing::warn!("dropped a connection whose user is unknown"),
            }
        }
    }

    pub fn path(&self) -> &Path {
        Path::new(&self.name)
    }
}

/// Opens the daemon's pipe, waiting briefly while all instances are busy, and checks that
/// the daemon runs as the current user (a pipe name anyone could have created first).
pub async fn connect(path: &Path) -> io::Result<Connection> {
    let deadline = tokio::time::Instant::now() + BUSY_WAIT;
    let client = loop {
        match ClientOptions::new().open(path) {
            Ok(client) => break client,
            Err(e)
                if e.raw_os_error() == Some(ERROR_PIPE_BUSY as i32)
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(e),
        }
    };
    let mut pid = 0u32;
    // SAFETY: the handle is a live pipe owned by `client`; `pid` is a valid out-pointer.
    if unsafe { GetNamedPipeServerProcessId(raw(&client), &mut pid) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let me = current_user_sid()?;
    if process_user_sid(pid)? != me {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is served by another user's process (pid {pid}): set CHATKEY_PROFILE to use another pipe",
                path.display()
            ),
        ));
    }
    // The pipe object's owner too: a process of ours could serve an instance another user
    // created (and whose DACL that user controls), so both must be us.
    if pipe_owner_sid(raw(&client))? != me {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is a pipe owned by another user: set CHATKEY_PROFILE to use another pipe",
                path.display()
            ),
        ));
    }
    Ok(Connection::Client(client))
}

fn raw(handle: &impl AsRawHandle) -> HANDLE {
    handle.as_raw_handle() as HANDLE
}

/// Creates one pipe instance whose DACL grants the current user, and nobody else, full access.
fn create_instance(name: &OsString, first: bool) -> io::Result<NamedPipeServer> {
    let descriptor = OwnerOnlyDescriptor::new()?;
    let mut attributes = SECURITY_ATTRIBUTES {
        nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: descriptor.0,
        bInheritHandle: 0,
    };
    let mut options = ServerOptions::new();
    options
        .first_pipe_instance(first)
        .reject_remote_clients(true);
    // SAFETY: `attributes` points at a valid SECURITY_ATTRIBUTES whose descriptor outlives
    // the call (`descriptor` is dropped after it).
    unsafe { options.create_with_security_attributes_raw(name, (&raw mut attributes).cast()) }
}

/// A self-relative security descriptor from `ConvertStringSecurityDescriptorToSecurityDescriptorW`,
/// freed with `LocalFree`.
struct OwnerOnlyDescriptor(PSECURITY_DESCRIPTOR);

impl OwnerOnlyDescriptor {
    fn new() -> io::Result<Self> {
        // "P" protects the DACL from inherited entries; the one entry allows GENERIC_ALL to
        // the current user's SID.
        let sddl = format!("D:P(A;;GA;;;{})", current_user_sid_string()?);
        let wide: Vec<u16> = sddl.encode_utf16().chain(Some(0)).collect();
        let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: `wide` is NUL-terminated; `descriptor` is a valid out-pointer.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                wide.as_ptr(),
                SDDL_REVISION_1,
                &mut descriptor,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self(descriptor))
    }
}

impl Drop for OwnerOnlyDescriptor {
    fn drop(&mut self) {
        // SAFETY: allocated by ConvertStringSecurityDescriptorToSecurityDescriptorW.
        unsafe { LocalFree(self.0) };
    }
}

/// A handle closed on drop.
struct OwnedHandle(HANDLE);

impl Drop for OwnedHandle {
    fn drop(&mut self) {
        // SAFETY: the handle was opened by us and is closed once.
        unsafe { CloseHandle(self.0) };
    }
}

/// The current process's user SID, as bytes.
fn current_user_sid() -> io::Result<Vec<u8>> {
    // SAFETY: GetCurrentProcess returns a pseudo-handle that needs no closing.
    token_user_sid(unsafe { GetCurrentProcess() })
}

/// The user SID of process `pid`, as bytes.
fn process_user_sid(pid: u32) -> io::Result<Vec<u8>> {
    // SAFETY: plain call; a null result is checked.
    let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if process.is_null() {
        return Err(io::Error::last_os_error());
    }
    let process = OwnedHandle(process);
    token_user_sid(process.0)
}

fn token_user_sid(process: HANDLE) -> io::Result<Vec<u8>> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: `process` is a valid process handle; `token` is a valid out-pointer.
    if unsafe { OpenProcessToken(process, TOKEN_QUERY, &mut token) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let token = OwnedHandle(token);
    let mut needed = 0u32;
    // SAFETY: a size query with a null buffer, as documented.
    unsafe { GetTokenInformation(token.0, TokenUser, std::ptr::null_mut(), 0, &mut needed) };
    if needed == 0 {
        return Err(io::Error::last_os_error());
    }
    // u64 elements keep the buffer aligned for TOKEN_USER.
    let mut buffer = vec![0u64; (needed as usize).div_ceil(8)];
    // SAFETY: `buffer` holds at least `needed` bytes.
    let ok = unsafe {
        GetTokenInformation(
            token.0,
            TokenUser,
            buffer.as_mut_ptr().cast(),
            needed,
            &mut needed,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: on success the buffer starts with a TOKEN_USER whose SID points into it.
    let sid = unsafe { (*buffer.as_ptr().cast::<TOKEN_USER>()).User.Sid };
    // SAFETY: `sid` is a valid SID inside `buffer`, which is still alive.
    let bytes = unsafe {
        let len = GetLengthSid(sid) as usize;
        std::slice::from_raw_parts(sid.cast::<u8>(), len).to_vec()
    };
    Ok(bytes)
}

/// The SID that owns the kernel object behind `handle` (for a pipe: who created it).
fn pipe_owner_sid(handle: HANDLE) -> io::Result<Vec<u8>> {
    let mut owner: PSID = std::ptr::null_mut();
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: `handle` is a live pipe handle; the out-pointers are valid; only the owner is
    // asked for, so the other pointers may be null.
    let rc = unsafe {
        GetSecurityInfo(
            handle,
            SE_KERNEL_OBJECT,
            OWNER_SECURITY_INFORMATION,
            &mut owner,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut descriptor,
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc as i32));
    }
    // Frees `descriptor` (which `owner` points into) once the SID is copied out.
    let descriptor = LocalDescriptor(descriptor);
    if owner.is_null() {
        return Err(io::Error::other("the pipe has no owner"));
    }
    // SAFETY: `owner` is a valid SID inside `descriptor`, which is still alive.
    let bytes = unsafe {
        let len = GetLengthSid(owner) as usize;
        std::slice::from_raw_parts(owner.cast::<u8>(), len).to_vec()
    };
    drop(descriptor);
    Ok(bytes)
}

/// A security descriptor the system allocated with `LocalAlloc`, freed on drop.
struct LocalDescriptor(PSECURITY_DESCRIPTOR);

impl Drop for LocalDescriptor {
    fn drop(&mut self) {
        // SAFETY: allocated by the system for us; freed once.
        unsafe { LocalFree(self.0) };
    }
}

/// The current user's SID in `S-1-5-…` form, for the pipe's SDDL.
fn current_user_sid_string() -> io::Result<String> {
    let mut sid = current_user_sid()?;
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` holds a valid SID; `text` is a valid out-pointer freed below.
    if unsafe { ConvertSidToStringSidW(sid.as_mut_ptr().cast(), &mut text) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: on success `text` is a NUL-terminated UTF-16 string allocated with LocalAlloc.
    let string = unsafe {
        let len = (0..).take_while(|&i| *text.add(i) != 0).count();
        let s = String::from_utf16_lossy(std::slice::from_raw_parts(text, len));
        LocalFree(text.cast());
        s
    };
    Ok(string)
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Server(pipe) => Pin::new(pipe).poll_read(cx, buf),
            Connection::Client(pipe) => Pin::new(pipe).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Server(pipe) => Pin::new(pipe).poll_write(cx, buf),
            Connection::Client(pipe) => Pin::new(pipe).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Server(pipe) => Pin::new(pipe).poll_flush(cx),
            Connection::Client(pipe) => Pin::new(pipe).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Server(pipe) => Pin::new(pipe).poll_shutdown(cx),
            Connection::Client(pipe) => Pin::new(pipe).poll_shutdown(cx),
        }
    }
}
