/**
 * @module
 * The UI's one script, progressive enhancement only (every page works without it): copy buttons,
 * a confirmation before destructive forms, and instant search suggestions under the header's
 * search box. Served as a file so the CSP allows `script-src 'self'` and nothing inline.
 * Suggestions are built with textContent, never innerHTML.
 */
export const SCRIPT = `(function(){
'use strict';
document.querySelectorAll('button[data-copy]').forEach(function(button){
  button.hidden=false;
  button.addEventListener('click',function(){
    var source=document.getElementById(button.getAttribute('data-copy'));
    if(!source||!navigator.clipboard)return;
    navigator.clipboard.writeText(source.textContent||'').then(function(){
      var label=button.textContent;button.textContent='Copied';
      setTimeout(function(){button.textContent=label},1500);
    });
  });
});
document.querySelectorAll('form[data-confirm]').forEach(function(form){
  form.addEventListener('submit',function(event){
    if(!window.confirm(form.getAttribute('data-confirm')))event.preventDefault();
  });
});
var input=document.getElementById('search-input');
var list=document.getElementById('search-suggest');
if(!input||!list)return;
var timer=0,last='';
function clear(){list.hidden=true;while(list.firstChild)list.removeChild(list.firstChild)}
input.addEventListener('input',function(){
  clearTimeout(timer);
  timer=setTimeout(function(){
    var q=input.value.trim();
    if(q===last)return;last=q;
    if(!q){clear();return}
    fetch('/explore/suggest?q='+encodeURIComponent(q),{headers:{Accept:'application/json'}})
      .then(function(r){return r.ok?r.json():[]})
      .then(function(items){
        if(q!==last)return;clear();
        items.forEach(function(item){
          var li=document.createElement('li'),a=document.createElement('a');
          a.href=item.href;a.textContent=item.label;li.appendChild(a);list.appendChild(li);
        });
        list.hidden=items.length===0;
      }).catch(clear);
  },150);
});
input.addEventListener('keydown',function(event){
  if(event.key==='Escape')clear();
  if(event.key==='ArrowDown'&&!list.hidden){var first=list.querySelector('a');if(first){event.preventDefault();first.focus()}}
});
list.addEventListener('keydown',function(event){
  var links=Array.prototype.slice.call(list.querySelectorAll('a')),at=links.indexOf(document.activeElement);
  if(event.key==='ArrowDown'&&at<links.length-1){event.preventDefault();links[at+1].focus()}
  if(event.key==='ArrowUp'){event.preventDefault();(at>0?links[at-1]:input).focus()}
  if(event.key==='Escape'){clear();input.focus()}
});
})();
`
