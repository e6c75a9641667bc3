// The visual editor (templates/campaigns/design.html): GrapesJS with grapesjs-mjml on the content
// sections only. The server cleans what is sent and adds the locked header and footer
// (campaigns/services/editor.py), so nothing here is trusted to keep them.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("editor-data").textContent);
  var status = document.getElementById("design-status");
  var dutch = document.getElementById("gjs").dataset.locale === "nl";
  var locales = window.weerbaarLocales || {};
  var blocks = ["mj-1-column", "mj-2-columns", "mj-3-columns", "mj-text", "mj-button", "mj-image", "mj-divider", "mj-spacer"];

  var editor = grapesjs.init({
    container: "#gjs",
    height: "640px",
    fromElement: false,
    storageManager: false,
    telemetry: false,
    cssIcons: data.iconsUrl,
    components: "<mjml><mj-body>" + data.body + "</mj-body></mjml>",
    i18n: dutch ? { locale: "nl", detectLocale: false, messages: { nl: locales.grapesjs } } : { locale: "en", detectLocale: false },
    assetManager: {
      assets: data.assets,
      upload: data.uploadUrl,
      uploadName: "files",
      headers: { "X-CSRFToken": data.csrfToken },
      credentials: "same-origin",
      autoAdd: true
    },
    plugins: [window["grapesjs-mjml"]],
    pluginsOpts: {
      "grapesjs-mjml": {
        blocks: blocks,
        imagePlaceholderSrc: "data:image/svg+xml;charset=utf-8,%3Csvg xmlns='http://www.w3.org/2000/svg' width='350' height='150'%3E%3Crect width='350' height='150' fill='%23dddddd'/%3E%3C/svg%3E",
        i18n: dutch ? { nl: locales["grapesjs-mjml"] } : {},
        overwriteExport: false
      }
    }
  });

  function say(text) { status.textContent = text; }

  data.events.forEach(function (event) {
    editor.BlockManager.add("weerbaar-event-" + event.id, {
      label: (dutch ? "Bijeenkomst: " : "Event: ") + event.label, category: dutch ? "Bijeenkomsten" : "Events",
      content: event.content
    });
  });

  if (data.selfhelp) {
    editor.BlockManager.add("weerbaar-selfhelp", {
      label: dutch ? "Zelfhulppagina's" : "Self-help pages", category: dutch ? "Bijeenkomsten" : "Events",
      content: data.selfhelp
    });
    document.getElementById("add-block").add(new Option(dutch ? "Zelfhulppagina's" : "Self-help pages", "weerbaar-selfhelp"));
  }

  // Personal fields: chosen from a menu (the rich-text bar and the tools above), never typed as code.
  var mergeOptions = data.mergeTags.map(function (tag) {
    return '<option value="' + tag.token + '">' + tag.label + "</option>";
  }).join("");
  editor.RichTextEditor.add("merge-tag", {
    icon: '<select class="gjs-field" aria-label="' + (dutch ? "Persoonlijk veld" : "Personal field") + '">' +
      '<option value="">' + (dutch ? "Persoonlijk veld" : "Personal field") + "</option>" + mergeOptions + "</select>",
    event: "change",
    result: function (rte, action) {
      var value = action.btn.firstChild.value;
      if (value) { rte.insertHTML(value); }
      action.btn.firstChild.value = "";
    },
    update: function () {}
  });

  var eventSelect = document.getElementById("add-event");
  data.events.forEach(function (event) { eventSelect.add(new Option(event.label, event.id)); });
  if (!data.events.length) {
    eventSelect.add(new Option(dutch ? "Geen gepubliceerde bijeenkomsten" : "No published events", ""));
    eventSelect.disabled = true;
    document.getElementById("add-event-button").disabled = true;
  }
  var mergeSelect = document.getElementById("merge-tag");
  data.mergeTags.forEach(function (tag) { mergeSelect.add(new Option(tag.label, tag.token)); });

  function mailBody() { return editor.getWrapper().findType("mj-body")[0]; }

  function sectionOf(content) {
    return /^\s*<mj-section/.test(content) ? content : "<mj-section><mj-column>" + content + "</mj-column></mj-section>";
  }

  // Adds a block by keyboard or click: into the chosen column, else after the chosen section, else at the end.
  function addContent(content) {
    var selected = editor.getSelected();
    var column = selected && (selected.is("mj-column") ? selected : selected.closestType && selected.closestType("mj-column"));
    var added;
    if (column && !/^\s*<mj-section/.test(content)) {
      added = column.append(content)[0];
    } else {
      var section = selected && (selected.is("mj-section") ? selected : selected.closestType && selected.closestType("mj-section"));
      var body = mailBody();
      added = body.append(sectionOf(content), section ? { at: section.index() + 1 } : {})[0];
    }
    if (added) { editor.select(added); }
    say(dutch ? "Blok toegevoegd." : "Block added.");
  }

  document.getElementById("add-block-button").addEventListener("click", function () {
    var block = editor.BlockManager.get(document.getElementById("add-block").value);
    if (block) { addContent(block.get("content")); }
  });
  document.getElementById("add-event-button").addEventListener("click", function () {
    var block = editor.BlockManager.get("weerbaar-event-" + eventSelect.value);
    if (block) { addContent(block.get("content")); }
  });
  document.getElementById("merge-tag-button").addEventListener("click", function () {
    var selected = editor.getSelected();
    var text = selected && (selected.is("mj-text") ? selected : selected.closestType && selected.closestType("mj-text"));
    if (!text) { say(dutch ? "Kies eerst een tekstblok in de editor." : "First choose a text block in the editor."); return; }
    text.components().add({ type: "textnode", content: " " + mergeSelect.value });
    say(dutch ? "Persoonlijk veld ingevoegd." : "Personal field inserted.");
  });

  var form = document.getElementById("design-form");
  var bodyField = document.getElementById("visual-body");
  form.addEventListener("submit", function () { bodyField.value = editor.getHtml(); });

  var timer = null;
  function preview() {
    var fields = new FormData();
    fields.append("csrf_token", data.csrfToken);
    fields.append("visual_body", editor.getHtml());
    fetch(data.previewUrl, { method: "POST", body: fields, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (!answer.ok) { say(answer.error); return; }
        // A campaign keeps the render (reload the frames); a template's answer carries it.
        document.querySelectorAll(".campaign-preview iframe").forEach(function (frame) {
          if (answer.html) { frame.srcdoc = answer.html; return; }
          frame.src = frame.src.split("?")[0] + "?t=" + Date.now();
        });
      });
  }
  editor.on("load", function () {
    editor.Canvas.getFrameEl().title = dutch ? "Inhoud van de mail (bewerkbaar)" : "Mail content (editable)";
    editor.on("update", function () { clearTimeout(timer); timer = setTimeout(preview, 1200); });
  });
  window.weerbaarEditor = editor;
})();
