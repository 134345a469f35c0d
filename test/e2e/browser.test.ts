/**
 * The browser suites, in one file on purpose: the remote-admin suite adds a network interface (its
 * "other computer"), and Chromium aborts any navigation under way when interfaces change
 * (ERR_NETWORK_CHANGED). Loaded in this order, the interface exists before either suite starts a browser.
 */
import './remote-admin.suite';
import './dashboard.suite';
import './cross-origin.suite';
import './window-ipc.suite';
import './landing.suite';
import './journey.suite';
import './webapp.suite';
import './public-cert.suite';
