import Glibc

/// epoll, eventfd and accept4. Swift's Glibc module does not map `<sys/epoll.h>` or
/// `<sys/eventfd.h>` (and hides `accept4`), so their libc entry points are looked up once with
/// `dlsym` and called through C function pointers; constants and the `struct epoll_event`
/// layout are the kernel ABI's.
enum LinuxEvents {
    static let IN: UInt32 = 0x001
    static let OUT: UInt32 = 0x004
    static let ERR: UInt32 = 0x008
    static let HUP: UInt32 = 0x010

    static let CTL_ADD: Int32 = 1
    static let CTL_DEL: Int32 = 2
    static let CTL_MOD: Int32 = 3

    /// `struct epoll_event` is packed on x86_64 (12 bytes), naturally aligned elsewhere.
    #if arch(x86_64)
    static let eventStride = 12
    static let dataOffset = 4
    #else
    static let eventStride = 16
    static let dataOffset = 8
    #endif

    private struct Functions: @unchecked Sendable {
        typealias Create1 = @convention(c) (Int32) -> Int32
        typealias Ctl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
        typealias Wait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
        typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
        typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32
        let create1: Create1
        let ctl: Ctl
        let wait: Wait
        let eventfd: EventFD
        let accept4: Accept4

        init() {
            func symbol<T>(_ name: String, _: T.Type) -> T {
                guard let p = dlsym(nil, name) else { fatalError("libc lacks \(name)") }
                return unsafeBitCast(p, to: T.self)
            }
            create1 = symbol("epoll_create1", Create1.self)
            ctl = symbol("epoll_ctl", Ctl.self)
            wait = symbol("epoll_wait", Wait.self)
            eventfd = symbol("eventfd", EventFD.self)
            accept4 = symbol("accept4", Accept4.self)
        }
    }

    private static let fns = Functions()

    static func create() -> Int32 { fns.create1(Int32(O_CLOEXEC)) }

    static func control(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32) -> Int32 {
        var raw = [UInt8](repeating: 0, count: eventStride)
        raw.withUnsafeMutableBytes { buf in
            buf.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            buf.storeBytes(of: UInt64(UInt32(bitPattern: fd)), toByteOffset: dataOffset, as: UInt64.self)
        }
        return raw.withUnsafeMutableBytes { fns.ctl(epfd, op, fd, $0.baseAddress) }
    }

    /// A buffer for `wait` results.
    struct EventBuffer {
        var raw: [UInt8]
        let capacity: Int
        init(capacity: Int) {
            self.capacity = capacity
            raw = [UInt8](repeating: 0, count: capacity * LinuxEvents.eventStride)
        }
        func event(_ i: Int) -> (events: UInt32, fd: Int32) {
            raw.withUnsafeBytes { buf in
                let base = i * LinuxEvents.eventStride
                let ev = buf.loadUnaligned(fromByteOffset: base, as: UInt32.self)
                let data = buf.loadUnaligned(fromByteOffset: base + LinuxEvents.dataOffset, as: UInt64.self)
                return (ev, Int32(bitPattern: UInt32(truncatingIfNeeded: data)))
            }
        }
    }

    static func wait(_ epfd: Int32, _ buffer: inout EventBuffer, timeoutMS: Int32) -> Int32 {
        let cap = Int32(buffer.capacity)
        return buffer.raw.withUnsafeMutableBytes { fns.wait(epfd, $0.baseAddress, cap, timeoutMS) }
    }

    /// A non-blocking, close-on-exec eventfd.
    static func eventFD() -> Int32 { fns.eventfd(0, Int32(O_NONBLOCK) | Int32(O_CLOEXEC)) }

    static func accept(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>, _ len: UnsafeMutablePointer<socklen_t>) -> Int32 {
        fns.accept4(fd, addr, len, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
    }
}
