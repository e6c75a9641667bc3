/* Weerbaar agenda widget: <script src="https://…/static/js/widget.js" data-organisation="slug" async></script>
 *
 * Shows the organisation's upcoming events in a shadow root (the host page's CSS cannot reach in, ours cannot
 * leak out), from the open API (/api/v1/events). No cookies (credentials: "omit"), no tracking, no
 * third-party requests: everything comes from the Weerbaar server the script itself came from.
 * Optional attributes: data-audience, data-kind (the listing's filters), data-limit (1-20, default 5),
 * data-heading-level (2-6, default 2: fit the host page's outline).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.organisation) { return; }
  var origin = new URL(script.src).origin;
  var slug = script.dataset.organisation;
  var limit = Math.min(Math.max(parseInt(script.dataset.limit || "5", 10) || 5, 1), 20);
  var level = Math.min(Math.max(parseInt(script.dataset.headingLevel || "2", 10) || 2, 2), 6);
  var STATES = {
    open: function (left) { return left === 1 ? "Nog 1 plaats" : "Nog " + left + " plaatsen"; },
    waitlist: function () { return "Vol – wachtlijst open"; },
    full: function () { return "Vol"; },
    closed: function () { return "Aanmelden gesloten"; },
    cancelled: function () { return "Gaat niet door"; }
  };
  var when = new Intl.DateTimeFormat("nl-NL", {
    weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit",
    timeZone: "Europe/Amsterdam"
  });

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function readable(colour) {
    // Darken the brand colour until it reaches 4.5:1 on white (WCAG AA), as the iframe does on the server.
    var parts = [1, 3, 5].map(function (i) { return parseInt(colour.substr(i, 2), 16); });
    function contrast(rgb) {
      var l = rgb.map(function (p) { var v = p / 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
      return 1.05 / (0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2] + 0.05);
    }
    while (contrast(parts) < 4.5) { parts = parts.map(function (p) { return Math.floor(p * 0.9); }); }
    return "#" + parts.map(function (p) { return ("0" + p.toString(16)).slice(-2); }).join("");
  }

  var host = element("div");
  script.parentNode.insertBefore(host, script.nextSibling);
  var shadow = host.attachShadow({ mode: "open" });
  var style = element("link");
  style.rel = "stylesheet";
  style.href = origin + "/static/css/embed.css";
  var root = element("section", "weerbaar-agenda embed embed__main");
  root.setAttribute("aria-busy", "true");
  var heading = element("h" + level, "embed__heading", "Bijeenkomsten");
  heading.id = "weerbaar-agenda-" + slug;
  root.setAttribute("aria-labelledby", heading.id);
  var status = element("p", "", "Agenda laden…");
  root.append(heading, status);
  shadow.append(style, root);

  function link(href, text) {
    var anchor = element("a", "", text);
    anchor.href = href;
    return anchor;
  }

  function item(event) {
    var li = element("li", "embed__item");
    var title = link(event.url, event.title);
    title.className = "embed__title";
    var place = event.online ? "Online" : (event.venue && (event.venue.name || event.venue.address)) || "";
    var line = element("p", "embed__when");
    var time = element("time", "", when.format(new Date(event.starts_at)));
    time.dateTime = event.starts_at;
    line.append(time, document.createTextNode(place ? " · " + place : ""));
    var state = element("p", "embed__state", STATES[event.availability](event.places_left));
    li.append(title, line, state);
    return li;
  }

  function show(data) {
    var listingUrl = origin + "/?organisatie=" + encodeURIComponent(slug);
    if (data.events.length) {
      var organisation = data.events[0].organisation;
      heading.textContent = "Bijeenkomsten van " + organisation.name;
      root.style.setProperty("--embed-brand", readable(organisation.colour));
      var list = element("ul", "embed__list");
      data.events.forEach(function (event) { list.append(item(event)); });
      status.replaceWith(list);
    } else {
      status.textContent = "Er staan op dit moment geen bijeenkomsten gepland.";
    }
    var more = element("p", "embed__more");
    more.append(link(listingUrl, data.total > data.events.length ? "Alle " + data.total + " bijeenkomsten" : "Naar de agenda"),
                document.createTextNode(" · "),
                link(origin + "/nieuwsbrief/" + encodeURIComponent(slug), "Nieuwsbrief ontvangen"));
    root.append(more);
    root.setAttribute("aria-busy", "false");
  }

  var query = new URLSearchParams({ organisation: slug, per_page: String(limit) });
  ["audience", "kind"].forEach(function (name) { if (script.dataset[name]) { query.set(name, script.dataset[name]); } });
  fetch(origin + "/api/v1/events?" + query, { credentials: "omit", mode: "cors" })
    .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
    .then(show)
    .catch(function () {
      status.textContent = "De agenda kan nu niet worden geladen. ";
      status.append(link(origin + "/?organisatie=" + encodeURIComponent(slug), "Bekijk de agenda op Weerbaar"));
      root.setAttribute("aria-busy", "false");
    });
}());
