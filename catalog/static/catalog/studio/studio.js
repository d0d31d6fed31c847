// The curator studio: the video, its scenes on a timeline, and the cast and looks of the
// scene at the playhead. Every change is one POST to the studio's edit endpoint, which
// validates it with the catalog's rules and answers the whole new state (or the reason it
// refused, or the newer state when someone else edited first). Undo sends back the state
// before the last change.

const config = JSON.parse(document.getElementById("studio-config").textContent);
const root = document.getElementById("studio");
const $ = (selector) => root.querySelector(selector);
const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
const FRAME = 1 / 25;

let state = config.state;
let previous = null; // the state before the last change, for undo
let player = null;
let playhead = 0;
let busy = false;
let shownScene = null; // the scene the panel shows

// Formatting

function timecode(seconds) {
  const ms = Math.round(seconds * 1000);
  const minutes = Math.floor(ms / 60000);
  const rest = (ms % 60000) / 1000;
  return `${minutes}:${rest.toFixed(3).padStart(6, "0")}`;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function duration() {
  return state.video.duration || (player && player.duration()) || 0;
}

function sceneAt(seconds) {
  return state.scenes.find((scene) => scene.start <= seconds && seconds < scene.end) || null;
}

function currentScene() {
  const scene = sceneAt(playhead);
  if (scene) return scene;
  // At the very end of the video the last scene is still the one on screen.
  const last = state.scenes[state.scenes.length - 1];
  return last && Math.abs(last.end - playhead) < 0.001 ? last : null;
}

function castName(id) {
  const member = state.cast.find((m) => m.id === id);
  return member ? member.name : "";
}

// Messages and errors, next to the control that caused them

function say(text) {
  $("[data-message]").textContent = text;
}

function clearErrors() {
  for (const slot of root.querySelectorAll("[data-error-for]")) slot.textContent = "";
}

function showError(where, text) {
  clearErrors();
  const slot = root.querySelector(`[data-error-for="${where}"]`) || $("[data-message]");
  slot.textContent = text;
}

// Talking to the server

async function send(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = { error: `The server answered ${response.status}.` };
  }
  return { status: response.status, data };
}

async function edit(name, args, where, { undoable = true } = {}) {
  if (busy) return false;
  busy = true;
  root.dataset.busy = "true";
  try {
    const before = state;
    const { status, data } = await send(config.urls.edit, {
      version: state.video.version,
      edit: name,
      args,
    });
    if (status === 200) {
      clearErrors();
      previous = undoable ? before : null;
      state = data;
      render();
      return true;
    }
    if (status === 409 && data.state) {
      state = data.state;
      previous = null;
      render();
    }
    showError(where, data.error || "The change was refused.");
    return false;
  } catch {
    showError(where, "The studio could not reach the server; nothing was saved.");
    return false;
  } finally {
    busy = false;
    root.dataset.busy = "false";
  }
}

async function undo() {
  if (!previous) return;
  const snapshot = previous;
  if (await edit("restore", { snapshot }, "timeline", { undoable: false })) {
    say("Undone.");
  }
}

// Rendering

function renderTimeline() {
  const timeline = $("[data-timeline]");
  const total = duration();
  for (const old of timeline.querySelectorAll(".studio__scene, .studio__handle")) old.remove();
  $("[data-duration-row]").hidden = Boolean(state.video.duration);
  if (!total) return;
  const current = currentScene();
  state.scenes.forEach((scene, index) => {
    const left = (scene.start / total) * 100;
    const width = ((scene.end - scene.start) / total) * 100;
    const block = element(
      "button",
      {
        type: "button",
        class: "studio__scene" + (current && current.id === scene.id ? " is-current" : ""),
        style: `left:${left}%;width:${width}%`,
        "aria-label": `Scene ${index + 1}: ${scene.label}, ${scene.looks.length} looks`,
        "aria-current": current && current.id === scene.id ? "true" : false,
        dataset: { sceneId: scene.id },
        onclick: (event) => {
          event.stopPropagation();
          seek(scene.start);
        },
      },
      element("span", {}, scene.title || `Scene ${index + 1}`),
      element("small", {}, `${scene.looks.length} looks`),
    );
    timeline.append(block);
    for (const edge of ["start", "end"]) {
      const at = scene[edge];
      // A boundary shared by two scenes gets one handle (the later scene's start).
      if (edge === "end" && state.scenes.some((other) => other.start === at)) continue;
      timeline.append(
        element("div", {
          class: `studio__handle studio__handle--${edge}`,
          style: `left:${(at / total) * 100}%`,
          role: "slider",
          tabindex: "0",
          "aria-label": `${edge === "start" ? "Start" : "End"} of scene ${index + 1}`,
          "aria-valuemin": "0",
          "aria-valuemax": String(total),
          "aria-valuenow": String(at),
          "aria-valuetext": timecode(at),
          dataset: { sceneId: scene.id, edge },
        }),
      );
    }
  });
}

function renderPlayhead() {
  const total = duration();
  $("[data-clock]").textContent = timecode(playhead);
  $("[data-playhead]").style.left = total ? `${(playhead / total) * 100}%` : "0";
}

function renderStatus() {
  $("[data-status]").textContent = state.video.status_label;
  const actions = $("[data-status-actions]");
  actions.replaceChildren();
  const verbs = {
    in_review: "Submit for review",
    published: "Publish",
    unpublished: "Unpublish",
    draft: "Back to draft",
  };
  for (const option of config.statuses) {
    if (option.value === state.video.status) continue;
    actions.append(
      element(
        "button",
        {
          type: "button",
          class: "button",
          dataset: { status: option.value },
          onclick: () => changeStatus(option.value),
        },
        verbs[option.value] || option.label,
      ),
    );
  }
}

function option(value, label, selected) {
  return element("option", { value, selected: selected ? "selected" : false }, label);
}

function castOptions(select, selected) {
  select.replaceChildren(
    option("", "Nobody in particular", !selected),
    ...state.cast.map((member) => option(member.id, member.name, member.id === selected)),
  );
}

function renderPanel() {
  const scene = currentScene();
  const heading = $("[data-scene-heading]");
  $("[data-scene-tools]").hidden = !scene;
  $("[data-empty-hint]").hidden = Boolean(scene);
  if (!scene) {
    heading.textContent = "No scene at the playhead";
    return;
  }
  const index = state.scenes.indexOf(scene) + 1;
  heading.textContent = `Scene ${index}: ${scene.label}`;
  const title = $("#scene-title");
  if (document.activeElement !== title || title.dataset.sceneId !== String(scene.id)) {
    title.value = scene.title;
    title.dataset.sceneId = scene.id;
  }

  const cast = $("[data-cast]");
  cast.replaceChildren(
    ...state.cast.map((member) => {
      const id = `cast-${member.id}`;
      return element(
        "li",
        {},
        element("input", {
          type: "checkbox",
          id,
          checked: scene.cast.includes(member.id) ? "checked" : false,
          onchange: (event) =>
            edit(
              "set_scene_cast",
              { scene: scene.id, cast_member: member.id, present: event.target.checked },
              "cast",
            ),
        }),
        element("label", { for: id }, member.name),
      );
    }),
  );
  if (!state.cast.length) cast.append(element("li", {}, "No cast yet."));

  const looks = $("[data-looks]");
  looks.replaceChildren(
    ...scene.looks.map((look, position) => {
      const wearer = element("select", {
        "aria-label": `Worn by (${look.product.brand} ${look.product.name})`,
        onchange: (event) =>
          edit(
            "change_look",
            { appearance: look.id, cast_member: event.target.value ? Number(event.target.value) : null },
            "looks",
          ),
      });
      castOptions(wearer, look.cast_member);
      const match = element(
        "select",
        {
          "aria-label": `Match (${look.product.brand} ${look.product.name})`,
          onchange: (event) =>
            edit(
              "change_look",
              { appearance: look.id, cast_member: look.cast_member, match: event.target.value },
              "looks",
            ),
        },
        ...config.matches.map((m) => option(m.value, m.label, m.value === look.match)),
      );
      return element(
        "li",
        { class: "studio__look", dataset: { lookId: look.id } },
        look.product.image
          ? element("img", { src: look.product.image, alt: "", width: "40", height: "40" })
          : element("span", { class: "studio__noimage", "aria-hidden": "true" }),
        element(
          "span",
          { class: "studio__look-name" },
          element("strong", {}, look.product.brand),
          ` ${look.product.name}`,
          element("small", {}, ` ${look.product.style} · UPC ${look.product.upc}`),
        ),
        wearer,
        match,
        element(
          "button",
          {
            type: "button",
            "aria-label": `Move ${look.product.name} up`,
            disabled: position === 0 ? "disabled" : false,
            onclick: () => edit("move_look", { appearance: look.id, by: -1 }, "looks"),
          },
          "↑",
        ),
        element(
          "button",
          {
            type: "button",
            "aria-label": `Move ${look.product.name} down`,
            disabled: position === scene.looks.length - 1 ? "disabled" : false,
            onclick: () => edit("move_look", { appearance: look.id, by: 1 }, "looks"),
          },
          "↓",
        ),
        element(
          "button",
          {
            type: "button",
            "aria-label": `Remove ${look.product.name}`,
            onclick: () => edit("remove_look", { appearance: look.id }, "looks"),
          },
          "Remove",
        ),
      );
    }),
  );
  if (!scene.looks.length) looks.append(element("li", {}, "No looks yet."));

  const lookCast = $("[data-look-cast]");
  const chosen = lookCast.value ? Number(lookCast.value) : null;
  castOptions(lookCast, state.cast.some((m) => m.id === chosen) ? chosen : null);
}

function render() {
  const scene = currentScene();
  shownScene = scene ? scene.id : null;
  renderStatus();
  renderTimeline();
  renderPlayhead();
  renderPanel();
  $("[data-undo]").disabled = !previous;
  const preview = new URL(config.urls.preview, window.location.href);
  preview.searchParams.set("t", String(Math.floor(playhead)));
  $("[data-preview]").href = preview.pathname + preview.search;
  root.dataset.version = state.video.version;
}

// Playback

function moved(seconds) {
  playhead = Math.max(0, seconds);
  renderPlayhead();
  const scene = currentScene();
  const id = scene ? scene.id : null;
  if (id !== shownScene) {
    shownScene = id;
    renderTimeline();
    renderPanel();
  }
}

function seek(seconds) {
  const total = duration();
  const target = Math.max(0, total ? Math.min(seconds, total) : seconds);
  if (player) player.seek(target);
  moved(target);
}

function togglePlay() {
  if (!player) return;
  if (player.paused()) player.play();
  else player.pause();
}

function jumpScene(step) {
  const starts = state.scenes.map((scene) => scene.start);
  const current = currentScene();
  const index = current ? state.scenes.indexOf(current) : -1;
  if (index === -1) {
    const next = step > 0 ? starts.find((s) => s > playhead) : [...starts].reverse().find((s) => s < playhead);
    if (next !== undefined) seek(next);
    return;
  }
  const target = state.scenes[index + step];
  if (target) seek(target.start);
}

// Edits started from the page

// Scene times are kept to the millisecond: the playhead moves onto the rounded time first,
// so that it is inside the scene it just started.
function snappedPlayhead() {
  const at = Math.round(playhead * 1000) / 1000;
  if (at !== playhead) seek(at);
  return at;
}

function split() {
  const at = snappedPlayhead();
  return edit("split", { at }, "timeline").then((ok) => {
    if (ok) say(`Split at ${timecode(at)}.`);
    return ok;
  });
}

function edgeToPlayhead(edge) {
  const scene = currentScene() || state.scenes.find((s) => Math.abs(s.start - playhead) < 0.001);
  if (!scene) return;
  edit("move_edge", { scene: scene.id, edge, at: snappedPlayhead() }, "scene");
}

function mergeNext() {
  const scene = currentScene();
  if (scene) edit("merge", { scene: scene.id }, "scene");
}

async function changeStatus(status) {
  const { status: code, data } = await send(config.urls.status, { status });
  if (code === 200) {
    state.video.status = data.status;
    state.video.status_label = data.status_label;
    config.statuses = data.statuses;
    renderStatus();
    say(`Status: ${data.status_label}.`);
  } else {
    say(data.error || "The status was not changed.");
  }
}

// Dragging a boundary: it snaps to the playhead when dropped near it.

function dragHandle(handle, event) {
  const timeline = $("[data-timeline]");
  const box = timeline.getBoundingClientRect();
  const total = duration();
  const sceneId = Number(handle.dataset.sceneId);
  const edge = handle.dataset.edge;
  const scene = state.scenes.find((s) => s.id === sceneId);
  const neighbours = state.scenes.filter((s) => s.id !== sceneId);
  const lower = edge === "start"
    ? Math.max(0, ...neighbours.filter((s) => s.end < scene.start).map((s) => s.end), ...neighbours.filter((s) => s.end === scene.start).map((s) => s.start + FRAME))
    : scene.start + FRAME;
  const upper = edge === "end"
    ? Math.min(total, ...neighbours.filter((s) => s.start > scene.end).map((s) => s.start), ...neighbours.filter((s) => s.start === scene.end).map((s) => s.end - FRAME))
    : scene.end - FRAME;
  let at = scene[edge];
  handle.setPointerCapture(event.pointerId);
  handle.classList.add("is-dragging");
  const move = (moveEvent) => {
    const x = Math.min(Math.max(moveEvent.clientX - box.left, 0), box.width);
    at = (x / box.width) * total;
    const playheadX = (playhead / total) * box.width;
    if (Math.abs(x - playheadX) <= 8) at = playhead; // snap
    at = Math.min(Math.max(at, lower), upper);
    handle.style.left = `${(at / total) * 100}%`;
    handle.setAttribute("aria-valuetext", timecode(at));
  };
  const drop = () => {
    handle.removeEventListener("pointermove", move);
    handle.removeEventListener("pointerup", drop);
    handle.classList.remove("is-dragging");
    if (Math.abs(at - scene[edge]) >= 0.001) {
      edit("move_edge", { scene: sceneId, edge, at: Math.round(at * 1000) / 1000 }, "timeline");
    } else {
      renderTimeline();
    }
  };
  handle.addEventListener("pointermove", move);
  handle.addEventListener("pointerup", drop);
}

// Adding looks

let searchTimer = null;
let searchNumber = 0;

async function search(query) {
  const number = ++searchNumber;
  const results = $("[data-results]");
  const newProduct = $("[data-new-product]");
  if (!query.trim()) {
    results.replaceChildren();
    $("#look-search").setAttribute("aria-expanded", "false");
    newProduct.hidden = true;
    return;
  }
  const response = await fetch(`${config.urls.products}?q=${encodeURIComponent(query)}`, {
    credentials: "same-origin",
  });
  const data = await response.json();
  if (number !== searchNumber) return;
  results.replaceChildren(
    ...data.results.map((product, index) =>
      element(
        "li",
        {},
        element(
          "button",
          {
            type: "button",
            role: "option",
            id: `result-${index}`,
            dataset: { productId: product.id },
            onclick: () => addLook(product.id),
          },
          element("strong", {}, product.brand),
          ` ${product.name} `,
          element("small", {}, `${product.style} · UPC ${product.upc}`),
        ),
      ),
    ),
  );
  if (!data.results.length) results.append(element("li", { class: "studio__hint" }, "No product found."));
  $("#look-search").setAttribute("aria-expanded", "true");
  newProduct.hidden = !config.can_create_products;
}

async function addLook(productId) {
  const scene = currentScene();
  if (!scene) return;
  const castValue = $("[data-look-cast]").value;
  const ok = await edit(
    "add_look",
    {
      scene: scene.id,
      product: productId,
      cast_member: castValue ? Number(castValue) : null,
      match: $("[data-look-match]").value,
    },
    "looks",
  );
  if (ok) {
    const input = $("#look-search");
    input.value = "";
    search("");
    say("Look added.");
    input.focus();
  }
}

function openProductDialog() {
  const dialog = $("[data-product-dialog]");
  const form = $("[data-product-form]");
  const query = $("#look-search").value.trim();
  form.reset();
  form.elements.currency.value = config.currency;
  if (/^\d{8,14}$/.test(query)) form.elements.upc.value = query;
  else form.elements.name.value = query;
  $("[data-error-for=product]").textContent = "";
  dialog.showModal();
  form.elements.brand.focus();
}

async function retailerId(name) {
  const response = await fetch(`${config.urls.retailers}?q=${encodeURIComponent(name)}`, {
    credentials: "same-origin",
  });
  const data = await response.json();
  const exact = data.results.find((r) => r.name.toLowerCase() === name.toLowerCase());
  return exact ? exact.id : null;
}

async function createProduct(event) {
  event.preventDefault();
  const form = $("[data-product-form]");
  const values = Object.fromEntries(new FormData(form));
  const retailer = await retailerId(values.retailer);
  if (!retailer) {
    $("[data-error-for=product]").textContent = "Choose one of the catalog's retailers.";
    form.elements.retailer.focus();
    return;
  }
  const { status, data } = await send(config.urls.create_product, {
    brand: values.brand,
    name: values.name,
    upc: values.upc,
    product_type: Number(values.product_type),
    style: Number(values.style),
    image_url: values.image_url,
    offer: { retailer, url: values.url, price: values.price, currency: values.currency },
  });
  if (status !== 201) {
    const fields = data.fields || {};
    const details = Object.entries(fields)
      .map(([name, messages]) =>
        typeof messages === "object" && !Array.isArray(messages)
          ? Object.values(messages).map((row) => Object.entries(row).map(([f, m]) => `${f}: ${m}`).join(" ")).join(" ")
          : `${name}: ${[].concat(messages).join(" ")}`,
      )
      .join(" ");
    $("[data-error-for=product]").textContent = details || data.error;
    return;
  }
  $("[data-product-dialog]").close();
  await addLook(data.id);
}

async function loadRetailers(query) {
  const response = await fetch(`${config.urls.retailers}?q=${encodeURIComponent(query)}`, {
    credentials: "same-origin",
  });
  const data = await response.json();
  $("[data-retailers]").replaceChildren(...data.results.map((r) => element("option", { value: r.name })));
}

// Keyboard

function typing(target) {
  return target.closest("input, select, textarea, [contenteditable], dialog");
}

const KEYS = {
  " ": togglePlay,
  k: togglePlay,
  ArrowLeft: () => seek(playhead - 1),
  ArrowRight: () => seek(playhead + 1),
  ",": () => seek(playhead - FRAME),
  ".": () => seek(playhead + FRAME),
  ArrowUp: () => jumpScene(-1),
  ArrowDown: () => jumpScene(1),
  s: split,
  "{": () => edgeToPlayhead("start"),
  "}": () => edgeToPlayhead("end"),
  m: mergeNext,
  l: () => $("#look-search").focus(),
  u: undo,
  "?": () => toggleKeys(),
};

function toggleKeys() {
  const keys = $("[data-keys]");
  keys.hidden = !keys.hidden;
  $("[data-help]").setAttribute("aria-expanded", String(!keys.hidden));
}

function onKey(event) {
  if (event.key === "Escape" && typing(event.target) && !event.target.closest("dialog")) {
    event.target.blur();
    return;
  }
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z" && !typing(event.target)) {
    event.preventDefault();
    undo();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  // Handles move with the arrows themselves, a frame at a time (a second with Shift).
  const handle = event.target.closest(".studio__handle");
  if (handle && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
    event.preventDefault();
    const scene = state.scenes.find((s) => s.id === Number(handle.dataset.sceneId));
    const delta = (event.key === "ArrowLeft" ? -1 : 1) * (event.shiftKey ? 1 : FRAME * 5);
    const at = Math.round((scene[handle.dataset.edge] + delta) * 1000) / 1000;
    edit("move_edge", { scene: scene.id, edge: handle.dataset.edge, at }, "timeline").then(() => {
      const again = root.querySelector(`.studio__handle[data-scene-id="${scene.id}"][data-edge="${handle.dataset.edge}"]`);
      if (again) again.focus();
    });
    return;
  }
  const action = KEYS[event.key.length === 1 ? event.key.toLowerCase() : event.key] || KEYS[event.key];
  if (!action) return;
  // Space and Enter keep their meaning on buttons.
  if (event.key === " " && event.target.closest("button, a")) return;
  event.preventDefault();
  action();
}

// Start

async function main() {
  document.addEventListener("keydown", onKey);
  const playerRoot = document.getElementById("player");
  if (state.source) {
    const { createPlayer } = await import(config.players);
    player = await createPlayer(playerRoot, state.source);
  }
  if (player) player.onTime(moved);

  const transport = {
    play: togglePlay,
    back: KEYS.ArrowLeft,
    forward: KEYS.ArrowRight,
    "frame-back": KEYS[","],
    "frame-forward": KEYS["."],
    "previous-scene": KEYS.ArrowUp,
    "next-scene": KEYS.ArrowDown,
    split,
  };
  for (const button of root.querySelectorAll("[data-key]")) {
    button.addEventListener("click", () => transport[button.dataset.key]());
  }
  $("[data-timeline]").addEventListener("click", (event) => {
    if (event.target.closest(".studio__handle")) return;
    const box = event.currentTarget.getBoundingClientRect();
    seek(((event.clientX - box.left) / box.width) * duration());
  });
  $("[data-timeline]").addEventListener("pointerdown", (event) => {
    const handle = event.target.closest(".studio__handle");
    if (handle) {
      event.preventDefault();
      dragHandle(handle, event);
    }
  });
  $("[data-rename]").addEventListener("submit", (event) => {
    event.preventDefault();
    const scene = currentScene();
    if (scene) edit("rename", { scene: scene.id, title: $("#scene-title").value }, "scene");
  });
  $("[data-merge]").addEventListener("click", mergeNext);
  $("[data-delete-scene]").addEventListener("click", () => {
    const scene = currentScene();
    if (scene) edit("delete_scene", { scene: scene.id }, "scene");
  });
  for (const button of root.querySelectorAll("[data-edge]")) {
    if (button.tagName === "BUTTON") button.addEventListener("click", () => edgeToPlayhead(button.dataset.edge));
  }
  $("[data-add-cast]").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("#cast-name");
    const scene = currentScene();
    const ok = await edit("add_cast", { name: input.value, scene: scene ? scene.id : null }, "cast");
    if (ok) {
      input.value = "";
      say("Cast member added.");
    }
  });
  $("[data-undo]").addEventListener("click", undo);
  $("[data-help]").addEventListener("click", toggleKeys);
  $("[data-set-duration]").addEventListener("click", () => {
    const seconds = player ? player.duration() : 0;
    if (seconds) edit("set_duration", { seconds: Math.round(seconds * 1000) / 1000 }, "timeline");
    else showError("timeline", "The player does not know the duration yet; set it on the video's page.");
  });

  const searchInput = $("#look-search");
  searchInput.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search(searchInput.value), 150);
  });
  searchInput.addEventListener("keydown", (event) => {
    const first = $("[data-results] button");
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(searchTimer);
      search(searchInput.value).then(() => {
        const top = $("[data-results] button");
        if (top) addLook(Number(top.dataset.productId));
      });
    } else if (event.key === "ArrowDown" && first) {
      event.preventDefault();
      first.focus();
    }
  });
  $("[data-results]").addEventListener("keydown", (event) => {
    const buttons = [...root.querySelectorAll("[data-results] button")];
    const index = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && index < buttons.length - 1) {
      event.preventDefault();
      event.stopPropagation();
      buttons[index + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      event.stopPropagation();
      (index > 0 ? buttons[index - 1] : searchInput).focus();
    }
  });
  $("[data-look-match]").replaceChildren(...config.matches.map((m) => option(m.value, m.label, false)));
  $("[data-new-product]").addEventListener("click", openProductDialog);
  $("[data-types]").replaceChildren(option("", "—", true), ...config.types.map((t) => option(t.id, t.name, false)));
  $("[data-styles]").replaceChildren(option("", "—", true), ...config.styles.map((s) => option(s.id, s.name, false)));
  $("[data-product-form]").addEventListener("submit", createProduct);
  $("[data-close-dialog]").addEventListener("click", () => $("[data-product-dialog]").close());
  $("#np-retailer").addEventListener("input", (event) => loadRetailers(event.target.value));
  loadRetailers("");

  render();
  root.dataset.ready = "true";
  document.documentElement.dataset.studioReady = player ? state.source.provider : "clock";
}

main();
