// What mail apps in dark mode do to an email that only ships light colours, applied to a document in place.
// These apps ignore the email's own prefers-color-scheme rules and recolour it themselves:
//   "partial" (Outlook.com, the Outlook apps, Gmail for Android): light backgrounds and borders turn dark, dark text
//             turns light; colours that are already dark as backgrounds, or light as text, are left alone, so a dark
//             button keeps its colour and its white label.
//   "full"    (Gmail for iOS): every colour is inverted in lightness, dark backgrounds included.
// Hue and saturation are kept, as the apps keep them; the exact lightness curves of each app are not published, so
// this is an approximation to judge readability with, not a pixel-exact copy.
function dripcourseForcedDark(doc, mode) {
  var view = doc.defaultView;
  function parse(value) {
    var m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(value || "");
    if (!m) return null;
    var alpha = m[4] === undefined ? 1 : parseFloat(m[4]);
    return alpha === 0 ? null : [m[1] / 255, m[2] / 255, m[3] / 255, alpha];
  }
  function luminance(c) {
    var lin = c.slice(0, 3).map(function (v) { return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  }
  function toHsl(c) {
    var r = c[0], g = c[1], b = c[2], max = Math.max(r, g, b), min = Math.min(r, g, b), l = (max + min) / 2, h = 0, s = 0;
    if (max !== min) {
      var d = max - min;
      s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
      h = max === r ? (g - b) / d + (g < b ? 6 : 0) : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
      h /= 6;
    }
    return [h, s, l];
  }
  function fromHsl(h, s, l) {
    function hue(p, q, t) {
      if (t < 0) t += 1;
      if (t > 1) t -= 1;
      if (t < 1 / 6) return p + (q - p) * 6 * t;
      if (t < 1 / 2) return q;
      if (t < 2 / 3) return p + (q - p) * (2 / 3 - t) * 6;
      return p;
    }
    if (s === 0) return [l, l, l];
    var q = l < 0.5 ? l * (1 + s) : l + s - l * s, p = 2 * l - q;
    return [hue(p, q, h + 1 / 3), hue(p, q, h), hue(p, q, h - 1 / 3)];
  }
  function css(c, lightness) {
    var hsl = toHsl(c), rgb = fromHsl(hsl[0], hsl[1], lightness);
    return "rgba(" + rgb.map(function (v) { return Math.round(v * 255); }).join(", ") + ", " + c[3] + ")";
  }
  // Light surfaces land between 10% and 22% lightness, dark text between 78% and 100%.
  function darkSurface(c) { return css(c, 0.1 + (1 - toHsl(c)[2]) * 0.4); }
  function lightText(c) { return css(c, 1 - toHsl(c)[2] * 0.55); }
  function inverted(c) { return css(c, 1 - toHsl(c)[2]); }
  var sides = ["top", "right", "bottom", "left"];
  var changes = [];
  Array.prototype.forEach.call(doc.querySelectorAll("*"), function (el) {
    var style = view.getComputedStyle(el), change = [];
    var background = parse(style.backgroundColor), text = parse(style.color);
    if (background && (mode === "full" || luminance(background) > 0.35)) {
      change.push(["background-color", mode === "full" ? inverted(background) : darkSurface(background)]);
    }
    if (text && (mode === "full" || luminance(text) < 0.35)) {
      change.push(["color", mode === "full" ? inverted(text) : lightText(text)]);
    }
    sides.forEach(function (side) {
      var border = style.getPropertyValue("border-" + side + "-style") !== "none" &&
        parse(style.getPropertyValue("border-" + side + "-color"));
      if (border && (mode === "full" || luminance(border) > 0.35)) {
        change.push(["border-" + side + "-color", mode === "full" ? inverted(border) : darkSurface(border)]);
      }
    });
    changes.push([el, change]);
  });
  // Every element gets its own colours after all were read, so no inherited colour is changed twice.
  changes.forEach(function (entry) {
    entry[1].forEach(function (property) { entry[0].style.setProperty(property[0], property[1], "important"); });
  });
  if (!parse(view.getComputedStyle(doc.documentElement).backgroundColor)) {
    doc.documentElement.style.setProperty("background-color", mode === "full" ? "#000000" : "#1b1b1b", "important");
  }
}
