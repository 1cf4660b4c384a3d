package dev.chameleon.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How to run a control-plane replica.
 *
 * @param host      the address to listen on; plain HTTP only on a loopback address
 * @param port      the port (0: any free one, for tests)
 * @param dataDir   the server's own folder: the bundle-signing key, and the embedded database when
 *                  {@code dbUrl} is empty
 * @param dbUrl     {@code jdbc:postgresql://...} for PostgreSQL, or empty for the embedded H2 file
 *                  under {@code dataDir}
 * @param tlsCert   PEM certificate chain, or empty for plain HTTP
 * @param tlsKey    PEM private key of the certificate (PKCS#8, PKCS#1 or SEC1), or empty
 * @param poolSize  most database connections of this replica
 */
public record ServerConfig(String host, int port, Path dataDir, Optional<String> dbUrl, Optional<Path> tlsCert,
                           Optional<Path> tlsKey, int poolSize) {
    /** The default listen address: loopback only. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** The default port. */
    public static final int DEFAULT_PORT = 8780;

    public ServerConfig {
        if (tlsCert.isPresent() != tlsKey.isPresent()) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together; give both or neither");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
        }
        if (tlsCert.isEmpty() && !loopback(host)) {
            throw new IllegalArgumentException("plain HTTP is refused on " + host + ", which is not a loopback address:"
                    + " give --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS proxy");
        }
    }

    /** Defaults for a data folder: loopback, the default port, the embedded database. */
    public static ServerConfig defaults(Path dataDir) {
        return new ServerConfig(DEFAULT_HOST, DEFAULT_PORT, dataDir, Optional.empty(), Optional.empty(), Optional.empty(), 16);
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(host, p, dataDir, dbUrl, tlsCert, tlsKey, poolSize);
    }

    public ServerConfig withDb(String url) {
        return new ServerConfig(host, port, dataDir, Optional.of(url), tlsCert, tlsKey, poolSize);
    }

    public ServerConfig withTls(String h, Path cert, Path key) {
        return new ServerConfig(h, port, dataDir, dbUrl, Optional.of(cert), Optional.of(key), poolSize);
    }

    public boolean tls() {
        return tlsCert.isPresent();
    }

    /** Whether a host is a loopback address (names are resolved; a name that does not resolve is not). */
    public static boolean loopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
