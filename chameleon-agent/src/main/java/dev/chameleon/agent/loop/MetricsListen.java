package dev.chameleon.agent.loop;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the metrics endpoint listens: {@code HOST:PORT} with HOST a loopback address written as a
 * number ({@code 127.0.0.0/8}, or {@code [::1]} in brackets) and PORT 0–65535 (0: any free port).
 * A name, even {@code localhost}, is refused: what it resolves to can change, and the endpoint
 * must never be reachable from the network. Nothing here looks a name up.
 */
public final class MetricsListen {
    /** The default address, {@code 127.0.0.1:9465}. */
    public static final String DEFAULT = "127.0.0.1:9465";

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    private MetricsListen() {
    }

    /**
     * The address to bind.
     *
     * @throws IllegalArgumentException what is wrong, for people (no file position: the caller adds it):
     *                                  empty, no port, a port not a number in 0–65535, an IPv6 address
     *                                  without brackets, a name, or an address that is not loopback
     */
    public static InetSocketAddress parse(String text) {
        String t = text == null ? "" : text.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("is empty; say " + DEFAULT);
        }
        String host;
        String port;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0 || close + 1 >= t.length() || t.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + t + "' is not [IPV6]:PORT (say [::1]:9465)");
            }
            host = t.substring(1, close);
            port = t.substring(close + 2);
        } else {
            int colon = t.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("'" + t + "' has no port (say " + DEFAULT + ")");
            }
            host = t.substring(0, colon);
            port = t.substring(colon + 1);
            if (host.contains(":")) {
                throw new IllegalArgumentException("'" + t + "': an IPv6 address needs brackets, as [::1]:9465");
            }
        }
        if (!port.matches("\\d{1,5}") || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException("'" + t + "': port '" + port + "' is not a number from 0 to 65535");
        }
        InetAddress a = literal(t, host, t.startsWith("["));
        if (!a.isLoopbackAddress()) {
            throw new IllegalArgumentException("'" + t + "': " + host + " is not a loopback address"
                    + (a.isAnyLocalAddress() ? " (it means every address of the machine)" : "")
                    + "; metrics are served on this machine only: 127.0.0.0/8 or [::1]");
        }
        return new InetSocketAddress(a, Integer.parseInt(port));
    }

    /** {@code 127.0.0.1:9465}, {@code [::1]:9465}. */
    public static String format(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static InetAddress literal(String whole, String host, boolean bracketed) {
        if (host.isEmpty()) {
            throw new IllegalArgumentException("'" + whole + "' has no address (say " + DEFAULT + ")");
        }
        Matcher v4 = IPV4.matcher(host);
        boolean ok = bracketed ? host.matches("[0-9A-Fa-f:.]+") && host.contains(":") : v4.matches();
        if (ok && !bracketed) {
            for (int i = 1; i <= 4; i++) {
                ok &= Integer.parseInt(v4.group(i)) <= 255;
            }
        }
        if (!ok) {
            throw new IllegalArgumentException("'" + whole + "': " + host + " is not an address as a number; give a loopback address "
                    + "(127.0.0.1 or [::1]): a name could resolve elsewhere");
        }
        try {
            return InetAddress.getByName(host); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + whole + "': " + host + " is not an address: " + e.getMessage());
        }
    }
}
