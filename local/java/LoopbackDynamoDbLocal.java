import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Starts DynamoDB Local bound to one address (127.0.0.1 by default) instead of every interface.
 *
 * DynamoDB Local has no bind-address option: its Jetty server listens on 0.0.0.0. This launcher
 * builds the server exactly as DynamoDB Local's own ServerRunner does (same command-line flags),
 * then sets the host on its connector before starting it. Run in Java's source-file mode:
 *   java -Dbind.host=127.0.0.1 -cp 'lib/*' LoopbackDynamoDbLocal.java -port 8000 -dbPath data
 */
public final class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("bind.host", "127.0.0.1");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(proxy);
    for (Connector connector : jetty.getConnectors()) {
      ((ServerConnector) connector).setHost(host);
    }
    proxy.start();
    System.out.println("DynamoDB Local listening on " + host);
    proxy.join();
  }
}
