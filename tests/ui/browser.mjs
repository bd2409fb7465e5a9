// The browsers the dashboard is driven in, launched the same way by its tests (ui.test.mjs) and
// its page benchmark (bench/ui_pages.mjs): Debian's Chromium over CDP and Debian's Firefox ESR
// over WebDriver BiDi (playwright-core's moz-firefox channel). Each launch makes a fresh profile.
//   CHROMIUM / FIREFOX override the binaries.
import { chromium, firefox } from 'playwright-core';

export async function launch(name) {
  if (name === 'chromium') {
    return chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  }
  if (name === 'firefox') {
    return firefox.launch({ channel: 'moz-firefox', executablePath: process.env.FIREFOX ?? '/usr/bin/firefox-esr' });
  }
  throw new Error(`UI_BROWSER=${name}: expected chromium or firefox`);
}
