package dev.chameleon.server.console;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium for the console's tests: Debian's {@code chromium} and
 * {@code chromium-driver} packages ({@code /usr/bin/chromium}, {@code /usr/bin/chromedriver}),
 * driven by Selenium. Without them the test fails saying what to install ({@code ./test}
 * installs both). Screenshots go to {@code target/console-screenshots/NAME.png}.
 */
public final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    /** Relative to the module being tested: its {@code target/console-screenshots}. */
    static final Path SHOTS = Path.of("target", "console-screenshots");

    public final ChromeDriver driver;
    private final String base;

    public Browser(String base) {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(DRIVER)) {
            throw new IllegalStateException("the console tests drive a real headless Chromium: apt-get install chromium chromium-driver"
                    + " (./test installs them); missing " + (Files.isExecutable(CHROMIUM) ? DRIVER : CHROMIUM));
        }
        this.base = base;
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless=new", "--window-size=1400,1100", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions", "--lang=en-US");
        if ("root".equals(System.getProperty("user.name"))) {
            // Chromium refuses to start as root with its sandbox on; CI runs the tests as root. The page is
            // our own console on loopback, nothing from the network.
            o.addArguments("--no-sandbox");
        }
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort()
                .withTimeout(Duration.ofSeconds(60)).build();
        driver = new ChromeDriver(service, o);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(30));
    }

    public void open(String path) {
        driver.get(base + path);
    }

    /** Waits up to 20 s for a condition (a stale or missing element counts as not yet). */
    public <T> T await(String what, Function<WebDriver, T> condition) {
        return await(what, Duration.ofSeconds(20), condition);
    }

    /** Waits up to {@code limit} for a condition; on time-out saves a screenshot {@code failed-WHAT}. */
    public <T> T await(String what, Duration limit, Function<WebDriver, T> condition) {
        try {
            return new WebDriverWait(driver, limit).withMessage(what)
                    .ignoring(org.openqa.selenium.NoSuchElementException.class)
                    .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                    .until(condition);
        } catch (org.openqa.selenium.TimeoutException e) {
            // the page as it was when the wait gave up, to read with the failure
            String name = "failed-" + what.replaceAll("[^A-Za-z0-9]+", "-");
            screenshot(name.length() > 80 ? name.substring(0, 80) : name);
            throw new org.openqa.selenium.TimeoutException(e.getMessage() + "\n--- the page's text:\n"
                    + script("return document.body.innerText"), e);
        }
    }

    public WebElement visible(String id) {
        return await("#" + id + " shown", d -> {
            WebElement e = d.findElement(By.id(id));
            return e.isDisplayed() ? e : null;
        });
    }

    /** The text of a displayed element, read inside the wait (a redraw between finding and reading is read again). */
    public String text(String id) {
        return await("#" + id + " shown", d -> {
            WebElement e = d.findElement(By.id(id));
            return e.isDisplayed() ? e.getText() : null;
        });
    }

    /** Waits until the element's text contains the part; returns the whole text. */
    public String textContains(String id, String part) {
        return await("#" + id + " containing '" + part + "' (when the wait began: " + safeText(id) + ")", d -> {
            String t = d.findElement(By.id(id)).getText();
            return t.contains(part) ? t : null;
        });
    }

    /**
     * The element's text now, for a message: "(absent)" when there is none, "(being redrawn)" when the page replaced
     * it between finding and reading (the console redraws a view when its data arrives; that is not a failure).
     */
    public String safeText(String id) {
        try {
            List<WebElement> e = driver.findElements(By.id(id));
            return e.isEmpty() ? "(absent)" : e.get(0).getText();
        } catch (org.openqa.selenium.StaleElementReferenceException e) {
            return "(being redrawn)";
        }
    }

    /** Whether the element is on the page and displayed now; a redraw between finding and asking is asked again. */
    public boolean shown(String id) {
        for (int attempt = 0; ; attempt++) {
            try {
                List<WebElement> e = driver.findElements(By.id(id));
                return !e.isEmpty() && e.get(0).isDisplayed();
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                if (attempt == 4) {
                    throw e;
                }
            }
        }
    }

    public Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    public Object asyncScript(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeAsyncScript(js, args);
    }

    /** Saves a screenshot of the page as target/console-screenshots/NAME.png; its path. */
    public Path screenshot(String name) {
        try {
            Files.createDirectories(SHOTS);
            Path p = SHOTS.resolve(name + ".png");
            Files.write(p, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
            return p;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Selects all of a text field's text and types another in its place (as a person would: input events fire). */
    public void replaceText(WebElement field, String text) {
        field.sendKeys(org.openqa.selenium.Keys.chord(org.openqa.selenium.Keys.CONTROL, "a"), org.openqa.selenium.Keys.DELETE);
        field.sendKeys(text);
    }

    public void signIn(String token) {
        open("/ui/");
        WebElement t = visible("token");
        t.clear();
        t.sendKeys(token);
        driver.findElement(By.id("signin-submit")).click();
    }

    @Override
    public void close() {
        driver.quit();
    }
}
