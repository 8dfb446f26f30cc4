//! Shared presentation: the page layout, small components (money, times, badges) and
//! the static assets. Views take plain data; nothing here touches the database.

pub mod assets;
pub mod components;
pub mod layout;

/// A rendered page or fragment as a response that no cache keeps (it is per user).
pub fn html(markup: maud::Markup) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

/// "See other": where the browser goes after a form that changed something (303, so
/// a reload does not post it again).
pub fn see_other(location: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}
