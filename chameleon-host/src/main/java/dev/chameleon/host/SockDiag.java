package dev.chameleon.host;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * The listening TCP sockets of the calling process's network namespace, asked of the kernel over
 * {@code NETLINK_SOCK_DIAG} ({@code inet_diag}, as {@code ss -ltn} does) instead of read from
 * {@code /proc/net/tcp}: the kernel answers a LISTEN-only request from its listening table, while
 * every read of {@code /proc/net/tcp} walks the whole established-connection hash (about 3.5 ms
 * per read on a 24 GiB machine with an empty namespace, and the agent reads it every pass).
 *
 * <p>Shape: socket inode → local port (both long), IPv4 and IPv6 together, as
 * {@link SysRoot#listeningTcp(String)} returns it. Native calls go through JNA to libc's
 * {@code socket}, {@code send}, {@code recv} and {@code close}; messages follow
 * {@code linux/inet_diag.h} and {@code linux/netlink.h}.
 */
final class SockDiag {
    interface LibC extends Library {
        int socket(int domain, int type, int protocol);

        long send(int fd, byte[] buf, long len, int flags);

        long recv(int fd, byte[] buf, long len, int flags);

        int close(int fd);

        int open(String path, int flags);

        int setns(int fd, int nstype);
    }

    static final int AF_NETLINK = 16;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int NETLINK_SOCK_DIAG = 4;
    static final int SOCK_DIAG_BY_FAMILY = 20;
    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_DUMP = 0x300;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int IPPROTO_TCP = 6;
    static final int TCP_LISTEN = 10;
    /** struct nlmsghdr. */
    static final int NLMSG_HDRLEN = 16;
    /** struct inet_diag_req_v2: family, protocol, ext, pad, states, then a 48-byte inet_diag_sockid. */
    static final int REQ_LEN = 56;
    /** Offsets in struct inet_diag_msg: family, state, timer, retrans, sockid (sport at 4), expires, rqueue, wqueue, uid, inode. */
    static final int MSG_SPORT = 4;
    static final int MSG_INODE = 68;
    static final int MSG_MIN_LEN = 72;
    static final int O_RDONLY_CLOEXEC = 0x80000;
    static final int CLONE_NEWNET = 0x40000000;

    private static volatile LibC libc;

    private SockDiag() {
    }

    /**
     * Listening TCP sockets (IPv4 and IPv6) of this process's network namespace.
     *
     * @throws IOException when netlink is unavailable (no JNA native part, a kernel without
     *                     {@code inet_diag}, a seccomp filter), with the call that failed
     */
    static Map<Long, Long> listening() throws IOException {
        LibC c = lib();
        int fd = c.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (fd < 0) {
            throw new IOException("socket(AF_NETLINK, NETLINK_SOCK_DIAG): errno " + Native.getLastError());
        }
        return dump(c, fd);
    }

    /**
     * The listening TCP sockets of another network namespace ({@code /proc/PID/ns/net}): this
     * thread enters it with {@code setns(2)} (root: CAP_SYS_ADMIN), opens the netlink socket
     * there (a socket belongs to the namespace it was created in) and returns to its own
     * namespace before asking. Used for containers, whose {@code /proc/PID/net/tcp} costs a walk
     * of their whole connection table per read.
     *
     * @throws IOException when the namespace cannot be entered (not root, the process ended) or
     *                     netlink fails; also when this thread could not return to its own
     *                     namespace, which the caller must treat as fatal for the thread (the
     *                     sensor threads end with their pass)
     */
    static Map<Long, Long> listeningIn(String netnsFile) throws IOException {
        LibC c = lib();
        int own = c.open("/proc/thread-self/ns/net", O_RDONLY_CLOEXEC);
        if (own < 0) {
            throw new IOException("open /proc/thread-self/ns/net: errno " + Native.getLastError());
        }
        int fd;
        try {
            int target = c.open(netnsFile, O_RDONLY_CLOEXEC);
            if (target < 0) {
                throw new IOException("open " + netnsFile + ": errno " + Native.getLastError());
            }
            try {
                if (c.setns(target, CLONE_NEWNET) != 0) {
                    throw new IOException("setns(" + netnsFile + "): errno " + Native.getLastError());
                }
            } finally {
                c.close(target);
            }
            try {
                fd = c.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
            } finally {
                if (c.setns(own, CLONE_NEWNET) != 0) {
                    throw new IllegalStateException("setns back to the agent's own network namespace failed: errno "
                            + Native.getLastError() + "; this thread must not do network I/O");
                }
            }
        } finally {
            c.close(own);
        }
        if (fd < 0) {
            throw new IOException("socket(AF_NETLINK, NETLINK_SOCK_DIAG) in " + netnsFile + ": errno " + Native.getLastError());
        }
        return dump(c, fd);
    }

    private static Map<Long, Long> dump(LibC c, int fd) throws IOException {
        try {
            Map<Long, Long> out = new HashMap<>();
            byte[] buf = new byte[32768];
            int seq = 1;
            for (int family : new int[] {AF_INET, AF_INET6}) {
                byte[] req = request(family, seq);
                if (c.send(fd, req, req.length, 0) != req.length) {
                    throw new IOException("send(inet_diag request): errno " + Native.getLastError());
                }
                boolean done = false;
                while (!done) {
                    long n = c.recv(fd, buf, buf.length, 0);
                    if (n < 0) {
                        throw new IOException("recv(inet_diag): errno " + Native.getLastError());
                    }
                    done = n == 0 || parse(buf, (int) n, out);
                }
                seq++;
            }
            return out;
        } finally {
            c.close(fd);
        }
    }

    private static LibC lib() throws IOException {
        LibC c = libc;
        if (c == null) {
            try {
                c = Native.load("c", LibC.class);
            } catch (LinkageError e) {
                throw new IOException("JNA cannot call libc: " + e.getMessage(), e);
            }
            libc = c;
        }
        return c;
    }

    /** A dump request for the LISTEN sockets of one address family. */
    static byte[] request(int family, int seq) {
        ByteBuffer b = ByteBuffer.allocate(NLMSG_HDRLEN + REQ_LEN).order(ByteOrder.nativeOrder());
        b.putInt(NLMSG_HDRLEN + REQ_LEN).putShort((short) SOCK_DIAG_BY_FAMILY).putShort((short) (NLM_F_REQUEST | NLM_F_DUMP))
                .putInt(seq).putInt(0);
        b.put((byte) family).put((byte) IPPROTO_TCP).put((byte) 0).put((byte) 0).putInt(1 << TCP_LISTEN);
        return b.array(); // the socket id stays zero: every socket
    }

    /**
     * Adds the sockets of one netlink datagram to {@code out}; true when it ends the dump
     * ({@code NLMSG_DONE}).
     *
     * @throws IOException for an {@code NLMSG_ERROR} answer (the kernel's errno) or a truncated message
     */
    static boolean parse(byte[] buf, int len, Map<Long, Long> out) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(buf, 0, len).order(ByteOrder.nativeOrder());
        int at = 0;
        while (at + NLMSG_HDRLEN <= len) {
            int msgLen = b.getInt(at);
            int type = Short.toUnsignedInt(b.getShort(at + 4));
            if (msgLen < NLMSG_HDRLEN || at + msgLen > len) {
                throw new IOException("inet_diag: truncated netlink message (" + msgLen + " bytes at " + at + " of " + len + ")");
            }
            if (type == NLMSG_DONE) {
                return true;
            }
            if (type == NLMSG_ERROR) {
                int errno = msgLen >= NLMSG_HDRLEN + 4 ? -b.getInt(at + NLMSG_HDRLEN) : 0;
                throw new IOException("inet_diag: the kernel answered errno " + errno);
            }
            if (type == SOCK_DIAG_BY_FAMILY && msgLen >= NLMSG_HDRLEN + MSG_MIN_LEN) {
                int m = at + NLMSG_HDRLEN;
                int port = ((buf[m + MSG_SPORT] & 0xff) << 8) | (buf[m + MSG_SPORT + 1] & 0xff); // network order
                long inode = Integer.toUnsignedLong(b.getInt(m + MSG_INODE));
                if (inode != 0) {
                    out.put(inode, (long) port);
                }
            }
            at += (msgLen + 3) & ~3; // NLMSG_ALIGN
        }
        return false;
    }
}
